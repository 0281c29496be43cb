import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import { toSafeInt } from '../db/values.js';

export interface StoredKey {
  id: number;
  requestHash: string;
  state: 'running' | 'done';
  responseStatus: number | null;
  responseBody: string | null;
  createdAt: number;
}

/** Claims a key for a request; `false` when the key is already stored. */
export async function claimKey(
  db: Kysely<Database>,
  scope: string,
  key: string,
  requestHash: string,
  nowMs: number,
): Promise<boolean> {
  try {
    await db
      .insertInto('idempotency_keys')
      .values({ scope, idem_key: key, request_hash: requestHash, state: 'running', created_at: nowMs })
      .execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err, 'idempotency_scope_key_uq', 'idempotency_keys.scope')) return false;
    throw err;
  }
}

export async function findKey(
  db: Kysely<Database>,
  scope: string,
  key: string,
): Promise<StoredKey | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', scope)
    .where('idem_key', '=', key)
    .executeTakeFirst();
  return (
    row && {
      id: toSafeInt(row.id),
      requestHash: row.request_hash,
      state: row.state,
      responseStatus: row.response_status === null ? null : toSafeInt(row.response_status),
      responseBody: row.response_body,
      createdAt: toSafeInt(row.created_at),
    }
  );
}

export async function completeKey(
  db: Kysely<Database>,
  id: number,
  status: number,
  body: string,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_body: body })
    .where('id', '=', id)
    .execute();
}

/** Removes a claim (failed request, or expired key); only the row we read, so a fresh claim survives. */
export async function releaseKey(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).execute();
}

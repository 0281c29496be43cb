import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { toSafeInt } from './values.js';

/**
 * Ids `after < id <= upTo`. A whole-table read goes span by span, so no statement runs long: none
 * outlives DB_QUERY_TIMEOUT_MS, and on SQLite, whose statements run on the event loop, requests get
 * their turns in between.
 */
export interface IdSpan {
  after: number;
  upTo: number;
}

async function maxIdOf(db: Kysely<Database>, table: 'users' | 'orders'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  return toSafeInt(row?.max ?? 0);
}

/**
 * Spans of `size` ids covering the table as it is now; rows added later are left to the next read.
 * Between spans the event loop takes a turn: on SQLite every statement, and the promises that hand
 * its connection on, complete without one.
 */
export async function* idSpans(
  db: Kysely<Database>,
  table: 'users' | 'orders',
  size: number,
): AsyncGenerator<IdSpan> {
  const maxId = await maxIdOf(db, table);
  for (let after = 0; after < maxId; after += size) {
    if (after > 0) await new Promise((resolve) => setImmediate(resolve));
    yield { after, upTo: after + size };
  }
}

import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../../src/db/connect.js';
import type { NewOrder } from '../../src/db/schema.js';
import type { Tx } from '../../src/db/tx.js';
import type { CancelReason, OrderStatus } from '../../src/domain/order.js';

/**
 * Bulk seeding straight into the tables (no HTTP, no service): multi-row inserts of BATCH_ROWS rows,
 * TX_ROWS rows per transaction. Rows look like the service's own: ids and created_at grow together,
 * pending orders hold a unique pending_key, settled ones their matched/completed times.
 */
const BATCH_ROWS = 1000;
const TX_ROWS = 50_000;
const DAY_MS = 86_400_000;
/** Minutes between two seeded orders of the history mix: 1M orders span about a year. */
export const HISTORY_SPACING_MS = 30_000;

export interface SeedUser {
  id: number;
  username: string;
}

/** Cheap settings for a throwaway database being filled; the service's own connection is unaffected. */
async function relaxForSeeding(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') await sql`pragma synchronous = off`.execute(db.kysely);
}

type Row = Record<string, string | number | null>;

/**
 * Inserts `total` rows made by `rows(from, to)`. A full batch's SQL is compiled by Kysely once and
 * reused with new parameters, which is several times faster than building each batch anew.
 */
async function insertInBatches<R extends Row>(
  db: Db,
  rows: (from: number, to: number) => R[],
  total: number,
  compile: (trx: Tx, batch: R[]) => CompiledQuery,
): Promise<void> {
  await relaxForSeeding(db);
  let template: { rows: number; sql: string } | undefined;
  for (let txFrom = 0; txFrom < total; txFrom += TX_ROWS) {
    const txTo = Math.min(total, txFrom + TX_ROWS);
    await db.kysely.transaction().execute(async (trx) => {
      if (db.dialect === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
      for (let from = txFrom; from < txTo; from += BATCH_ROWS) {
        const batch = rows(from, Math.min(txTo, from + BATCH_ROWS));
        const first = batch[0];
        if (!first) continue;
        if (template?.rows !== batch.length) {
          template = { rows: batch.length, sql: compile(trx, batch).sql };
        }
        const columns = Object.keys(first);
        const params = batch.flatMap((row) => columns.map((c) => row[c] ?? null));
        await trx.executeQuery(CompiledQuery.raw(template.sql, params));
      }
    });
  }
}

export const benchUsername = (i: number, prefix = 'bench_u') => `${prefix}${String(i).padStart(5, '0')}`;

/** Creates users `<prefix>00000…` and returns them in that order. */
export async function seedUsers(
  db: Db,
  count: number,
  nowMs: number,
  prefix = 'bench_u',
): Promise<SeedUser[]> {
  const make = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => ({
      username: benchUsername(from + k, prefix),
      wallet_address: null,
      created_at: nowMs,
      updated_at: nowMs,
    }));
  await insertInBatches(db, make, count, (trx, batch) => trx.insertInto('users').values(batch).compile());
  const rows = await db.kysely
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', 'like', `${prefix}%`)
    .orderBy('username')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), username: r.username }));
}

/** Order number of the i-th seeded order: the service's 20-character shape, unique per index. */
export const seededOrderNumber = (i: number): string =>
  `260101${i.toString(36).toUpperCase().padStart(14, '0')}`;

export type Mix = 'pending' | 'history';

export interface OrderSeed {
  users: readonly SeedUser[];
  /** Index of the first order to create; orders from..from+count-1 are created. */
  from: number;
  count: number;
  /** `pending`: every order pending and unexpired (webhook fodder); `history`: a settled history. */
  mix: Mix;
  /** created_at of order i is baseMs + i × spacingMs. */
  baseMs: number;
  spacingMs: number;
  nowMs: number;
}

/** History mix by i mod 20: 8 matched, 7 completed, 3 cancelled, 2 pending (only if recent, else expired). */
function historyStatus(i: number, createdAt: number, nowMs: number): [OrderStatus, CancelReason | null] {
  const r = i % 20;
  if (r < 8) return ['matched', null];
  if (r < 15) return ['completed', null];
  if (r < 18) return ['cancelled', 'user'];
  return createdAt > nowMs - DAY_MS ? ['pending', null] : ['cancelled', 'expired'];
}

export function orderRow(i: number, seed: OrderSeed): NewOrder & Row {
  const user = seed.users[i % seed.users.length];
  if (!user) throw new Error('no users to seed orders for');
  const createdAt = seed.baseMs + i * seed.spacingMs;
  const [status, cancelReason]: [OrderStatus, CancelReason | null] =
    seed.mix === 'pending' ? ['pending', null] : historyStatus(i, createdAt, seed.nowMs);
  const billingName = `홍길동${i.toString(36)}`;
  const amount = 1000 + (i % 9973) * 100;
  const doneAt = createdAt + 60_000;
  return {
    order_number: seededOrderNumber(i),
    user_id: user.id,
    billing_name: billingName,
    amount,
    status,
    pending_key: status === 'pending' ? `${billingName}|${amount}` : null,
    cancel_reason: cancelReason,
    memo: null,
    created_at: createdAt,
    updated_at: status === 'pending' ? createdAt : doneAt,
    expires_at: seed.mix === 'pending' ? seed.nowMs + DAY_MS : createdAt + DAY_MS,
    registered_at: createdAt,
    matched_at: status === 'matched' || status === 'completed' ? doneAt : null,
    completed_at: status === 'completed' ? doneAt : null,
    cancelled_at: status === 'cancelled' ? doneAt : null,
  };
}

export async function seedOrders(db: Db, seed: OrderSeed): Promise<void> {
  const make = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => orderRow(seed.from + from + k, seed));
  await insertInBatches(db, make, seed.count, (trx, batch) =>
    trx.insertInto('orders').values(batch).compile(),
  );
}

/** Fresh planner statistics after a bulk load, as a maintenance job would have them. */
export async function analyze(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') await sql`analyze`.execute(db.kysely);
  else if (db.dialect === 'mysql') await sql`analyze table users, orders`.execute(db.kysely);
  else await sql`analyze users, orders`.execute(db.kysely);
}

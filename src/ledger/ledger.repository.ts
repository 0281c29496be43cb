import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import type { Tx } from '../db/tx.js';
import { toSafeInt } from '../db/values.js';
import type { LedgerReason } from '../domain/order.js';

export interface NewLedgerEntry {
  userId: number;
  orderId: number;
  amount: number;
  balanceAfter: number;
  reason: LedgerReason;
  atMs: number;
}

const insertEntry = prepared((db, p: NewLedgerEntry) =>
  db.insertInto('ledger_entries').values({
    user_id: p.userId,
    order_id: p.orderId,
    amount: p.amount,
    balance_after: p.balanceAfter,
    reason: p.reason,
    created_at: p.atMs,
  }),
);

export async function insertLedgerEntry(trx: Tx, entry: NewLedgerEntry): Promise<void> {
  await insertEntry(trx, entry);
}

export interface BalanceMismatch {
  username: string;
  balance: number;
  ledgerSum: number;
}

/** Users whose balance differs from the sum of their ledger rows, or is negative. */
export async function findBalanceMismatches(db: Kysely<Database>): Promise<BalanceMismatch[]> {
  const sums = db
    .selectFrom('ledger_entries')
    .select((eb) => ['user_id', eb.fn.sum('amount').as('total')])
    .groupBy('user_id')
    .as('s');
  const rows = await db
    .selectFrom('users')
    .leftJoin(sums, 's.user_id', 'users.id')
    .select(['users.username', 'users.balance', 's.total'])
    .execute();
  return rows
    .map((r) => ({ username: r.username, balance: toSafeInt(r.balance), ledgerSum: toSafeInt(r.total ?? 0) }))
    .filter((r) => r.balance !== r.ledgerSum || r.balance < 0);
}

export interface OrderLedgerMismatch {
  orderNumber: string;
  status: string;
  amount: number;
  credits: number;
  creditedAmount: number;
}

/** Orders whose ledger rows disagree with their state: credited states carry exactly one credit of the order's amount, others none. */
export async function findOrderLedgerMismatches(
  db: Kysely<Database>,
  creditedStatuses: readonly string[],
): Promise<OrderLedgerMismatch[]> {
  const credits = db
    .selectFrom('ledger_entries')
    .select((eb) => ['order_id', eb.fn.countAll().as('n'), eb.fn.sum('amount').as('total')])
    .where('reason', '=', 'deposit')
    .groupBy('order_id')
    .as('c');
  const rows = await db
    .selectFrom('orders')
    .leftJoin(credits, 'c.order_id', 'orders.id')
    .select(['orders.order_number', 'orders.status', 'orders.amount', 'c.n', 'c.total'])
    .where((eb) =>
      eb.or([
        eb.and([eb('orders.status', 'in', [...creditedStatuses] as never[]), eb('c.n', 'is', null)]),
        eb('c.n', 'is not', null),
      ]),
    )
    .execute();
  return rows
    .map((r) => ({
      orderNumber: r.order_number,
      status: r.status,
      amount: toSafeInt(r.amount),
      credits: toSafeInt(r.n ?? 0),
      creditedAmount: toSafeInt(r.total ?? 0),
    }))
    .filter((r) =>
      creditedStatuses.includes(r.status)
        ? r.credits !== 1 || r.creditedAmount !== r.amount
        : r.credits !== 0,
    );
}

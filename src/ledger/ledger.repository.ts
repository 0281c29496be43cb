import type { Kysely } from 'kysely';
import type { IdSpan } from '../db/id-spans.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { type Statement, statement } from '../db/trips.js';
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

/** A ledger row, as a statement to send with others. */
export const ledgerEntry = (db: Kysely<Database>, entry: NewLedgerEntry): Statement<void> =>
  statement(insertEntry.bound(db, entry), () => undefined);

export interface BalanceMismatch {
  username: string;
  balance: number;
  ledgerSum: number;
}

/** Users of the span whose balance differs from the sum of their ledger rows, or is negative. */
export async function findBalanceMismatches(db: Kysely<Database>, span: IdSpan): Promise<BalanceMismatch[]> {
  const sums = db
    .selectFrom('ledger_entries')
    .select((eb) => ['user_id', eb.fn.sum('amount').as('total')])
    .where('user_id', '>', span.after)
    .where('user_id', '<=', span.upTo)
    .groupBy('user_id')
    .as('s');
  const rows = await db
    .selectFrom('users')
    .leftJoin(sums, 's.user_id', 'users.id')
    .select(['users.username', 'users.balance', 's.total'])
    .where('users.id', '>', span.after)
    .where('users.id', '<=', span.upTo)
    .where((eb) =>
      eb.or([
        eb('users.balance', '<', 0),
        eb('s.total', 'is', null).and('users.balance', '<>', 0),
        eb('s.total', '<>', eb.ref('users.balance')),
      ]),
    )
    .orderBy('users.id')
    .execute();
  return rows.map((r) => ({
    username: r.username,
    balance: toSafeInt(r.balance),
    ledgerSum: toSafeInt(r.total ?? 0),
  }));
}

export interface OrderLedgerMismatch {
  orderNumber: string;
  status: string;
  amount: number;
  credits: number;
  creditedAmount: number;
}

/**
 * Orders of the span whose ledger rows disagree with their state: credited states carry exactly
 * one credit of the order's amount, others none.
 */
export async function findOrderLedgerMismatches(
  db: Kysely<Database>,
  creditedStatuses: readonly string[],
  span: IdSpan,
): Promise<OrderLedgerMismatch[]> {
  const credits = db
    .selectFrom('ledger_entries')
    .select((eb) => ['order_id', eb.fn.countAll().as('n'), eb.fn.sum('amount').as('total')])
    .where('reason', '=', 'deposit')
    .where('order_id', '>', span.after)
    .where('order_id', '<=', span.upTo)
    .groupBy('order_id')
    .as('c');
  const credited = [...creditedStatuses] as never[];
  const rows = await db
    .selectFrom('orders')
    .leftJoin(credits, 'c.order_id', 'orders.id')
    .select(['orders.order_number', 'orders.status', 'orders.amount', 'c.n', 'c.total'])
    .where('orders.id', '>', span.after)
    .where('orders.id', '<=', span.upTo)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('orders.status', 'in', credited),
          eb.or([eb('c.n', 'is', null), eb('c.n', '<>', 1), eb('c.total', '<>', eb.ref('orders.amount'))]),
        ]),
        eb.and([eb('orders.status', 'not in', credited), eb('c.n', 'is not', null)]),
      ]),
    )
    .orderBy('orders.id')
    .execute();
  return rows.map((r) => ({
    orderNumber: r.order_number,
    status: r.status,
    amount: toSafeInt(r.amount),
    credits: toSafeInt(r.n ?? 0),
    creditedAmount: toSafeInt(r.total ?? 0),
  }));
}

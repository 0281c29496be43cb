import type { Db } from '../db/connect.js';
import { idSpans } from '../db/id-spans.js';
import { CREDITED_STATUSES } from '../domain/order.js';
import {
  type BalanceMismatch,
  findBalanceMismatches,
  findOrderLedgerMismatches,
  type OrderLedgerMismatch,
} from './ledger.repository.js';

/**
 * Ids per statement. An order span reads its orders and their credits; a user span sums every
 * ledger row of its users (a hundred each at 1M orders over 10k users), so it is kept smaller.
 */
const ORDER_SPAN_IDS = 5000;
const USER_SPAN_IDS = 500;

export interface VerifyReport {
  ok: boolean;
  balances: BalanceMismatch[];
  orders: OrderLedgerMismatch[];
}

/**
 * The ledger invariants, checked from the data rather than trusted from the code: every balance
 * equals the sum of its ledger rows and is not negative; every matched or completed order has
 * exactly one credit of its own amount; no other order has any. Tables are read in id spans, each
 * statement comparing a span's rows with their ledger rows, so a large database costs many short
 * statements rather than one long one, and only mismatches leave the database. Rows created after
 * the check started are left to the next one.
 */
export async function verifyLedger(
  db: Db,
  { userSpanIds = USER_SPAN_IDS, orderSpanIds = ORDER_SPAN_IDS } = {},
): Promise<VerifyReport> {
  const balances: BalanceMismatch[] = [];
  for await (const span of idSpans(db.kysely, 'users', userSpanIds))
    balances.push(...(await findBalanceMismatches(db.kysely, span)));
  const orders: OrderLedgerMismatch[] = [];
  for await (const span of idSpans(db.kysely, 'orders', orderSpanIds))
    orders.push(...(await findOrderLedgerMismatches(db.kysely, CREDITED_STATUSES, span)));
  return { ok: balances.length === 0 && orders.length === 0, balances, orders };
}

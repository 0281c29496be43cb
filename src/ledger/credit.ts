import { auditEntry } from '../audit/audit.repository.js';
import type { Db } from '../db/connect.js';
import type { Statement, Trips } from '../db/trips.js';
import {
  type Actor,
  CREDITABLE_FROM,
  CREDITED_STATUSES,
  isLateMatch,
  type OrderStatus,
} from '../domain/order.js';
import { matchedById, matchedByNumber, type Order, orderNumbered } from '../orders/orders.repository.js';
import { balanceCredited } from '../users/users.repository.js';
import { ledgerEntry } from './ledger.repository.js';

export type CreditResult =
  | { outcome: 'credited'; lateMatch: boolean; balanceAfter: number }
  | { outcome: 'already_credited'; status: OrderStatus }
  | { outcome: 'no_order' };

// Most money arrives for an order still pending: that move is tried before the order is read.
const USUAL_FROM: OrderStatus = 'pending';

export interface Credit {
  result: CreditResult;
  /** The credit's ledger and audit rows: the caller sends them, with its own, in its last trip. */
  rows: Statement<void>[];
}

/**
 * The one path by which money reaches a balance (webhook and manual match alike). Inside the
 * caller's transaction: a conditional move to `matched` whose row count picks exactly one winner,
 * the balance increment, and a ledger row unique on (order, reason) as a second guard. Losing the
 * race is a normal result. The amount is always the stored one; a webhook carries none.
 *
 * Two trips in the usual case: the move from pending (by order number) with the read of the
 * order, then the balance; the rows go with the caller's COMMIT.
 */
export async function creditOnce(
  db: Db,
  trips: Trips,
  orderNumber: string,
  actor: Actor,
  nowMs: number,
  why: string,
): Promise<Credit> {
  const { kysely } = db;
  const move = (from: OrderStatus) => ({ from, lateMatch: isLateMatch(from), nowMs });
  const [movedUsual, read] = await trips.send([
    matchedByNumber(kysely, orderNumber, move(USUAL_FROM)),
    orderNumbered(kysely, orderNumber),
  ]);
  if (!read) return { result: { outcome: 'no_order' }, rows: [] };
  let order: Order = read;
  let movedFrom: OrderStatus | undefined = movedUsual ? USUAL_FROM : undefined;
  // Money that arrives for an order cancelled meanwhile is still the user's: it is credited and
  // flagged as a late match. Each try is conditional on the status just read; a status that moves
  // meanwhile is read again, and no status leads back to a creditable one, so this ends.
  for (
    let tries = 0;
    !movedFrom && CREDITABLE_FROM.includes(order.status) && tries < CREDITABLE_FROM.length;
    tries++
  ) {
    const from = order.status;
    const [moved, again] = await trips.send([
      matchedById(kysely, order.id, move(from)),
      orderNumbered(kysely, orderNumber),
    ]);
    if (moved) movedFrom = from;
    if (again) order = again;
  }
  if (!movedFrom) {
    if (!CREDITED_STATUSES.includes(order.status)) {
      throw new Error(`order ${orderNumber} is neither creditable nor credited`);
    }
    return { result: { outcome: 'already_credited', status: order.status }, rows: [] };
  }
  const lateMatch = isLateMatch(movedFrom);
  const [balanceAfter] = await trips.send([balanceCredited(kysely, order.userId, order.amount, nowMs)]);
  if (balanceAfter < order.amount) throw new Error(`balance of user ${order.userId} went below the credit`);
  const rows = [
    ledgerEntry(kysely, {
      userId: order.userId,
      orderId: order.id,
      amount: order.amount,
      balanceAfter,
      reason: 'deposit',
      atMs: nowMs,
    }),
    auditEntry(kysely, {
      actor,
      action: lateMatch ? 'late_match' : 'match',
      orderId: order.id,
      userId: order.userId,
      from: movedFrom,
      to: 'matched',
      reason: why,
      atMs: nowMs,
    }),
  ];
  return { result: { outcome: 'credited', lateMatch, balanceAfter }, rows };
}

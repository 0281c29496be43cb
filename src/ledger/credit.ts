import { recordAudit } from '../audit/audit.repository.js';
import type { Tx } from '../db/tx.js';
import {
  type Actor,
  CREDITABLE_FROM,
  CREDITED_STATUSES,
  isLateMatch,
  type OrderStatus,
} from '../domain/order.js';
import { findOrder, moveToMatched, type Order } from '../orders/orders.repository.js';
import { addToBalance } from '../users/users.repository.js';
import { insertLedgerEntry } from './ledger.repository.js';

export type CreditResult =
  | { outcome: 'credited'; lateMatch: boolean; balanceAfter: number }
  | { outcome: 'already_credited'; status: OrderStatus };

/**
 * The one path by which money reaches a balance (webhook and manual match alike). Inside the
 * caller's transaction: a conditional move to `matched` whose row count picks exactly one winner,
 * the balance increment, and a ledger row unique on (order, reason) as a second guard. Losing the
 * race is a normal result. The amount is always the stored one; a webhook carries none.
 */
export async function creditOnce(
  trx: Tx,
  order: Order,
  actor: Actor,
  nowMs: number,
  why: string,
): Promise<CreditResult> {
  // Tried in the transition table's order, pending first. Money that arrives for an order cancelled
  // meanwhile is still the user's: it is credited and flagged as a late match.
  let movedFrom: OrderStatus | undefined;
  for (const from of CREDITABLE_FROM) {
    if (await moveToMatched(trx, order.id, from, nowMs, isLateMatch(from))) {
      movedFrom = from;
      break;
    }
  }
  if (movedFrom === undefined) {
    const current = await findOrder(trx, order.orderNumber);
    if (!current || !CREDITED_STATUSES.includes(current.status)) {
      throw new Error(`order ${order.orderNumber} is neither creditable nor credited`);
    }
    return { outcome: 'already_credited', status: current.status };
  }
  const lateMatch = isLateMatch(movedFrom);
  const balanceAfter = await addToBalance(trx, order.userId, order.amount, nowMs);
  if (balanceAfter < order.amount) throw new Error(`balance of user ${order.userId} went below the credit`);
  await insertLedgerEntry(trx, {
    userId: order.userId,
    orderId: order.id,
    amount: order.amount,
    balanceAfter,
    reason: 'deposit',
    atMs: nowMs,
  });
  await recordAudit(trx, {
    actor,
    action: lateMatch ? 'late_match' : 'match',
    orderId: order.id,
    userId: order.userId,
    from: movedFrom,
    to: 'matched',
    reason: why,
    atMs: nowMs,
  });
  return { outcome: 'credited', lateMatch, balanceAfter };
}

import { inTrips } from '../db/trips.js';
import type { Deps } from '../deps.js';
import { fail } from '../domain/errors.js';
import { KST_DAY_MS, kstDayStart, kstStartOfDay } from '../domain/kst.js';
import { type Actor, ORDER_STATUSES, type OrderStatus, SETTLED_STATUSES } from '../domain/order.js';
import { type Page, type PageRequest, toPage } from '../domain/page.js';
import { creditOnce } from '../ledger/credit.js';
import {
  findOrder,
  listOrders,
  listSettledEntries,
  type Order,
  type OrderFilter,
  type SettledEntry,
  totalsByStatus,
} from '../orders/orders.repository.js';
import { moveAudited } from '../orders/orders.service.js';
import { findUser, type User } from '../users/users.repository.js';

export interface OrderQuery extends PageRequest {
  status?: OrderStatus;
  username?: string;
  /** KST calendar days, inclusive. */
  from?: string;
  to?: string;
}

function dayBound(date: string | undefined, field: string): number | undefined {
  if (date === undefined) return undefined;
  const start = kstDayStart(date);
  if (start === undefined) throw fail('validation_error', field);
  return start;
}

async function queryOrders<T extends { id: number }>(
  deps: Deps,
  query: OrderQuery,
  allowed: readonly OrderStatus[],
  list: (db: Deps['db'], filter: OrderFilter) => Promise<T[]>,
): Promise<Page<T>> {
  if (query.status !== undefined && !allowed.includes(query.status)) throw fail('validation_error', 'status');
  const fromMs = dayBound(query.from, 'from');
  const toDay = dayBound(query.to, 'to');
  let owner: User | undefined;
  if (query.username !== undefined) {
    owner = await findUser(deps.db.kysely, query.username);
    if (!owner) return { items: [], nextBeforeId: null };
  }
  const rows = await list(deps.db, {
    statuses: query.status !== undefined ? [query.status] : allowed,
    owner,
    fromMs,
    toMs: toDay === undefined ? undefined : toDay + KST_DAY_MS,
    beforeId: query.beforeId,
    limit: query.limit + 1,
  });
  return toPage(rows, query.limit);
}

/** The seed's admin list: matched and completed deposits. */
export const listSettled = (deps: Deps, query: OrderQuery): Promise<Page<SettledEntry>> =>
  queryOrders(deps, query, SETTLED_STATUSES, listSettledEntries);

export const listAllOrders = (deps: Deps, query: OrderQuery): Promise<Page<Order>> =>
  queryOrders(deps, query, ORDER_STATUSES, listOrders);

async function adminOrder(deps: Deps, orderNumber: string): Promise<Order> {
  const order = await findOrder(deps.db.kysely, orderNumber);
  if (!order) throw fail('order_not_found');
  return order;
}

/** `matched` → `completed`. Completing a completed order again changes nothing and succeeds. */
export async function completeOrder(
  deps: Deps,
  actor: Actor,
  orderNumber: string,
  memo?: string,
): Promise<Order> {
  const order = await adminOrder(deps, orderNumber);
  if (order.status === 'completed') return order;
  const now = deps.clock.now();
  const move = {
    status: 'completed',
    completed_at: now,
    updated_at: now,
    ...(memo !== undefined ? { memo } : {}),
  } as const;
  const moved = await moveAudited(deps, order, 'matched', move, { actor, action: 'complete', reason: memo });
  const after = await adminOrder(deps, orderNumber);
  if (!moved && after.status !== 'completed') throw fail('invalid_state');
  return after;
}

/** A deposit Payaction did not report, matched by an operator through the same exactly-once credit. */
export async function manualMatch(
  deps: Deps,
  actor: Actor,
  orderNumber: string,
  reason: string,
): Promise<Order> {
  const order = await adminOrder(deps, orderNumber);
  const now = deps.clock.now();
  const result = await inTrips(deps.db, async (trips) => {
    const credit = await creditOnce(deps.db, trips, order.orderNumber, actor, now, reason);
    await trips.send(credit.rows, { commit: true });
    return credit.result;
  });
  if (result.outcome === 'no_order') throw fail('order_not_found');
  if (result.outcome === 'already_credited') throw fail('invalid_state', 'already_matched');
  deps.metrics?.orderMatched(result.lateMatch);
  return adminOrder(deps, orderNumber);
}

export interface Summary {
  total: Record<OrderStatus, { count: number; amount: number }>;
  today: Record<OrderStatus, { count: number; amount: number }>;
}

async function totals(deps: Deps, sinceMs: number | undefined) {
  const out = Object.fromEntries(ORDER_STATUSES.map((s) => [s, { count: 0, amount: 0 }])) as Summary['total'];
  for (const row of await totalsByStatus(deps.db, sinceMs))
    out[row.status] = { count: row.count, amount: row.amount };
  return out;
}

export async function summary(deps: Deps): Promise<Summary> {
  return { total: await totals(deps, undefined), today: await totals(deps, kstStartOfDay(deps.clock.now())) };
}

import type { Updateable } from 'kysely';
import { auditEntry } from '../audit/audit.repository.js';
import { UniqueConflict } from '../db/errors.js';
import type { OrdersTable } from '../db/schema.js';
import { inTrips } from '../db/trips.js';
import type { Deps } from '../deps.js';
import { assertActsFor, canSeeOrder } from '../domain/access.js';
import { fail } from '../domain/errors.js';
import { isValidAmount, normalizeBillingName } from '../domain/input.js';
import type { Actor, CancelReason, OrderStatus } from '../domain/order.js';
import { newOrderNumber } from '../domain/order-number.js';
import { type Page, type PageRequest, toPage } from '../domain/page.js';
import { ensureUser } from '../users/users.service.js';
import { findOrder, type HistoryEntry, listHistory, type Order, orderMoved } from './orders.repository.js';
import { type Placed, type Placement, placeOrder } from './placement.js';
import { markRegistered } from './registration.repository.js';

export interface DepositInput {
  username: string;
  billingName: string;
  amount: number;
}

const PLACE_ATTEMPTS_MAX = 3;

function checkedDeposit(deps: Deps, raw: DepositInput): DepositInput {
  const billingName = normalizeBillingName(raw.billingName);
  if (billingName === undefined) throw fail('validation_error', 'billing_name');
  const { minAmount, maxAmount } = deps.config;
  if (!isValidAmount(raw.amount, { minAmount, maxAmount })) {
    throw fail('validation_error', `amount (${minAmount}–${maxAmount})`);
  }
  return { username: raw.username, billingName, amount: raw.amount };
}

const MINUTE_MS = 60_000;

function placement(deps: Deps, actor: Actor, input: DepositInput): Placement {
  const nowMs = deps.clock.now();
  return {
    actor,
    ...input,
    orderNumber: newOrderNumber(nowMs, deps.random),
    nowMs,
    expiresAt: nowMs + deps.config.orderTtlMinutes * MINUTE_MS,
  };
}

/** `placeOrder`, creating a missing user first when AUTO_CREATE_USERS allows it. */
async function placeOrderCreatingUser(deps: Deps, actor: Actor, input: DepositInput): Promise<Placed> {
  const placed = await placeOrder(deps, placement(deps, actor, input));
  if (placed) return placed;
  if (!deps.config.autoCreateUsers) throw fail('user_not_found');
  await ensureUser(deps, input.username);
  return (
    (await placeOrder(deps, placement(deps, actor, input))) ??
    Promise.reject(new Error(`user ${input.username} vanished after being created`))
  );
}

/**
 * Creates a deposit order and registers it with Payaction. The order is committed before the call
 * (never call out inside a transaction); if registration fails for good, the order is cancelled so
 * nobody transfers money to an order Payaction cannot match.
 */
export async function requestDeposit(deps: Deps, actor: Actor, raw: DepositInput): Promise<Order> {
  assertActsFor(actor, raw.username);
  const input = checkedDeposit(deps, raw);
  let placed: Placed | undefined;
  for (let attempt = 1; !placed; attempt++) {
    try {
      placed = await placeOrderCreatingUser(deps, actor, input);
    } catch (err) {
      // Another request committed the same pending key or order number meanwhile; look again.
      if (!(err instanceof UniqueConflict) || attempt >= PLACE_ATTEMPTS_MAX) throw err;
    }
  }
  const { order, created } = placed;
  // An order found unregistered was stored by an identical request that died before registering it
  // (or is registering it now): register it here too, or this answer hands out an order number
  // Payaction cannot match.
  if (!created && order.registeredAt !== null) return order;
  if (created) deps.metrics?.orderCreated();
  const result = await deps.payaction.registerOrder(
    {
      orderNumber: order.orderNumber,
      amount: order.amount,
      orderDateMs: order.createdAt,
      billingName: order.billingName,
      ordererName: order.username,
    },
    !created,
  );
  if (result.ok) {
    await markRegistered(deps.db, order.id, deps.clock.now());
    return order;
  }
  // Only the request that stored the order gives it up: one that found it may be racing the
  // creator's own registration.
  if (created) {
    await cancelPending(
      deps,
      order,
      { kind: 'system', id: 'registration' },
      'registration_failed',
      result.detail,
    );
  }
  throw fail('payaction_error', result.detail, { payaction_response: result.detail });
}

type Move = Updateable<OrdersTable> & { status: OrderStatus; updated_at: number };

/**
 * The conditional move of `order` out of `from` with its audit row, in one transaction of two
 * trips; false when the order had already left `from` (the row count decides who won a race).
 */
export function moveAudited(
  deps: Deps,
  order: Order,
  from: OrderStatus,
  move: Move,
  entry: { actor: Actor; action: string; reason?: string | null },
): Promise<boolean> {
  const { kysely } = deps.db;
  return inTrips(deps.db, async (trips) => {
    const [moved] = await trips.send([orderMoved(kysely, order.id, from, move)]);
    if (moved) {
      const row = {
        ...entry,
        orderId: order.id,
        userId: order.userId,
        from,
        to: move.status,
        atMs: move.updated_at,
      };
      await trips.send([auditEntry(kysely, row)], { commit: true });
    }
    return moved;
  });
}

/** The conditional move to cancelled plus its audit row; false when the order had left pending. */
export async function cancelPending(
  deps: Deps,
  order: Order,
  actor: Actor,
  reason: CancelReason,
  why?: string,
) {
  const now = deps.clock.now();
  const move = {
    status: 'cancelled',
    pending_key: null,
    cancel_reason: reason,
    cancelled_at: now,
    updated_at: now,
  } as const;
  const moved = await moveAudited(deps, order, 'pending', move, {
    actor,
    action: 'cancel',
    reason: why ?? reason,
  });
  if (moved) deps.metrics?.orderCancelled(reason);
  return moved;
}

export interface CancelOutcome {
  payactionResponse: unknown;
}

/**
 * Excludes the order at Payaction first, then cancels it here. If a match lands in between, the
 * conditional move loses and the caller learns the order is no longer cancellable.
 */
export async function cancelOrder(deps: Deps, actor: Actor, orderNumber: string): Promise<CancelOutcome> {
  const order = await findOrder(deps.db.kysely, orderNumber);
  if (!order || !canSeeOrder(actor, order.username)) throw fail('order_not_found');
  if (order.status === 'cancelled') return { payactionResponse: null };
  if (order.status !== 'pending') throw fail('invalid_state');
  const result = await deps.payaction.excludeOrder(orderNumber);
  if (!result.ok) throw fail('payaction_error', result.detail, { payaction_response: result.detail });
  const reason: CancelReason = actor.kind === 'admin' ? 'admin' : 'user';
  if (await cancelPending(deps, order, actor, reason)) return { payactionResponse: result.response };
  const now = await findOrder(deps.db.kysely, orderNumber);
  if (now?.status === 'cancelled') return { payactionResponse: result.response };
  throw fail('invalid_state');
}

export async function transactionHistory(
  deps: Deps,
  actor: Actor,
  username: string,
  page: PageRequest,
): Promise<Page<HistoryEntry>> {
  assertActsFor(actor, username);
  const rows = await listHistory(deps.db, username, page.beforeId, page.limit + 1);
  if (!rows) throw fail('user_not_found');
  return toPage(rows, page.limit);
}

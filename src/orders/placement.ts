import { type AuditEntry, auditRows } from '../audit/audit.repository.js';
import { UniqueConflict } from '../db/errors.js';
import { inTrips } from '../db/trips.js';
import { type Settled, TurnBatch } from '../db/turn-batch.js';
import type { Deps } from '../deps.js';
import { fail } from '../domain/errors.js';
import type { Actor } from '../domain/order.js';
import { type Ask, type Plan as DomainPlan, pendingKey, planPlacements } from '../domain/placement.js';
import type { User } from '../users/users.repository.js';
import type { Order } from './orders.repository.js';
import { lockedUsersNamed, newPendingOrders, pendingCounts, pendingHolders } from './placement.repository.js';

/** One deposit request's order, as it would be stored if it is new. */
export interface Placement extends Ask {
  actor: Actor;
  orderNumber: string;
  nowMs: number;
  expiresAt: number;
}

/** The order a request got, and whether this request stored it; `undefined`: no such user. */
export type Placed = { order: Order; created: boolean };

type Plan = DomainPlan<Placement, User, Order>;
type Decision = Plan['decisions'][number];

/**
 * A batch in one transaction. If a transaction outside it took an order number or pending key one
 * of its requests wanted, the batch stored nothing: each request is then placed alone, so that only
 * the one that met the conflict fails with it (and tries again).
 */
async function placeBatch(deps: Deps, requests: Placement[]): Promise<Settled<Placed | undefined>[]> {
  try {
    return await placeTogether(deps, requests);
  } catch (err) {
    if (!(err instanceof UniqueConflict) || requests.length === 1) throw err;
    // In arrival order, one after another, as they would have run without the batch.
    const outcomes: Settled<Placed | undefined>[] = [];
    for (const r of requests) outcomes.push(await placeAlone(deps, r));
    return outcomes;
  }
}

async function placeAlone(deps: Deps, request: Placement): Promise<Settled<Placed | undefined>> {
  try {
    const [outcome] = await placeTogether(deps, [request]);
    return outcome ?? { ok: false, err: new Error('a placement went unanswered') };
  } catch (err) {
    return { ok: false, err };
  }
}

/**
 * Reads, decides and stores requests in one transaction of three trips, the same few statements
 * for all of them: the users (locked) with their pending counts and the holders of their keys;
 * the new orders; their audit rows with the COMMIT.
 */
async function placeTogether(deps: Deps, requests: Placement[]): Promise<Settled<Placed | undefined>[]> {
  const { db } = deps;
  const names = distinct(requests.map((r) => r.username));
  const keys = distinct(requests.map((r) => pendingKey(r.billingName, r.amount)));
  return inTrips(db, async (trips) => {
    const [users, pending, holders] = await trips.send([
      lockedUsersNamed(db, names),
      pendingCounts(db, names),
      pendingHolders(db, keys),
    ]);
    const byName = new Map(users.map((u) => [u.username, u]));
    const byKey = new Map(holders.map((o) => [pendingKey(o.billingName, o.amount), o]));
    const plan = planPlacements(requests, byName, pending, byKey, deps.config.maxPendingPerUser);
    const stored =
      plan.inserts.length === 0 ? [] : (await trips.send([newPendingOrders(db, plan.inserts)]))[0];
    await trips.send(auditRows(db.kysely, creations(requests, plan, stored)), { commit: true });
    return plan.decisions.map((d) => settled(d, stored));
  });
}

function creations(requests: Placement[], plan: Plan, stored: Order[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  plan.decisions.forEach((d, i) => {
    if (d.kind !== 'new') return;
    const order = stored[d.insert] as Order;
    const { actor, nowMs } = requests[i] as Placement;
    entries.push({
      actor,
      action: 'create',
      orderId: order.id,
      userId: order.userId,
      to: 'pending',
      atMs: nowMs,
    });
  });
  return entries;
}

function settled(d: Decision, stored: Order[]): Settled<Placed | undefined> {
  switch (d.kind) {
    case 'no_user':
      return { ok: true, value: undefined };
    case 'refused':
      return { ok: false, err: fail(d.code) };
    case 'found':
      return { ok: true, value: { order: d.order, created: false } };
    case 'new':
      return { ok: true, value: { order: stored[d.insert] as Order, created: true } };
    case 'same_as_new':
      return { ok: true, value: { order: stored[d.insert] as Order, created: false } };
  }
}

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

// A batch's statements grow with it; 64 keeps each well inside every database's parameter limit.
const BATCH_SIZE_MAX = 64;
const batches = new WeakMap<Deps, TurnBatch<Placement, Placed | undefined>>();

/**
 * Stores the order of a deposit request, or finds the caller's identical pending one; `undefined`
 * when the user does not exist. On MariaDB/MySQL and PostgreSQL, requests that arrive together are
 * decided and stored together, under the row locks of their users. Rejects with `UniqueConflict`
 * when a transaction outside the batch took this request's order number or pending key meanwhile.
 */
export async function placeOrder(deps: Deps, placement: Placement): Promise<Placed | undefined> {
  // SQLite's group commit already gives the requests of a turn one transaction and one fsync, and
  // its statements cost microseconds: a batch of its own there only added a turn and its keeping.
  if (deps.db.groupCommit) {
    const outcome = await placeAlone(deps, placement);
    if (!outcome.ok) throw outcome.err;
    return outcome.value;
  }
  let batch = batches.get(deps);
  if (!batch) {
    batch = new TurnBatch(
      (requests) => {
        deps.metrics?.depositBatch(requests.length);
        return placeBatch(deps, requests);
      },
      { sizeMax: BATCH_SIZE_MAX, onStall: () => deps.metrics?.depositBatchStalled() },
    );
    batches.set(deps, batch);
  }
  return batch.add(placement);
}

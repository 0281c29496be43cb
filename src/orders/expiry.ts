import { autocommit } from '../db/tx.js';
import type { Deps } from '../deps.js';
import type { Actor } from '../domain/order.js';
import { startPeriodic } from '../ops/periodic.js';
import { claimPending, findExpiredPending } from './orders.repository.js';
import { cancelPending } from './orders.service.js';

const EXPIRY_ACTOR: Actor = { kind: 'system', id: 'expiry' };
const EXPIRY_BATCH_MAX = 100;
// Longer than one exclude call with all its retries, so a live claim is never taken over.
const CLAIM_MS = 5 * 60 * 1000;

export interface ExpiryReport {
  expired: number;
  /** Orders whose exclude call failed: they stay pending and are tried again once their claim lapses. */
  excludeFailed: number;
  /** Orders another instance was working on, or that a match took meanwhile. */
  skipped: number;
}

/**
 * Pending orders past `expires_at`: excluded at Payaction, then cancelled with reason `expired`.
 * An order is claimed first (a conditional update), so instances running this at the same moment
 * never work on one order twice; an order whose exclude fails is not cancelled, since Payaction
 * could still match it.
 */
export async function expireDueOrders(deps: Deps, batchMax = EXPIRY_BATCH_MAX): Promise<ExpiryReport> {
  const report: ExpiryReport = { expired: 0, excludeFailed: 0, skipped: 0 };
  const now = deps.clock.now();
  for (const order of await findExpiredPending(deps.db.kysely, now, batchMax)) {
    if (!(await autocommit(deps.db, (db) => claimPending(db, order.id, now, now + CLAIM_MS)))) {
      report.skipped++;
      continue;
    }
    const excluded = await deps.payaction.excludeOrder(order.orderNumber);
    // An order never recorded as registered was cut short before its request was answered (a
    // crash): nobody holds its number, and Payaction may not know it, so a failed exclusion must
    // not keep it pending for good. A match that still comes is credited as a late match.
    if (!excluded.ok && order.registeredAt !== null) {
      report.excludeFailed++;
      deps.log?.warn({ orderNumber: order.orderNumber, detail: excluded.detail }, 'expiry: exclude failed');
      continue;
    }
    if (await cancelPending(deps, order, EXPIRY_ACTOR, 'expired')) report.expired++;
    else report.skipped++;
  }
  return report;
}

/** Runs expiry every `intervalMs` in the background. */
export function startExpiryJob(deps: Deps, intervalMs: number): () => void {
  return startPeriodic({ name: 'expiry run', intervalMs, runAtStart: false, log: deps.log }, async () => {
    const report = await expireDueOrders(deps);
    if (report.expired + report.excludeFailed > 0) deps.log?.info({ report }, 'expiry run');
  });
}

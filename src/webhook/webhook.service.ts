import { UniqueConflict } from '../db/errors.js';
import { inTrips, type Statement } from '../db/trips.js';
import type { Deps } from '../deps.js';
import { STATUS_LABELS } from '../domain/order.js';
import { type CreditResult, creditOnce } from '../ledger/credit.js';
import { type WebhookDelivery, webhookEvent } from './webhook.repository.js';

export const WEBHOOK_OUTCOMES = [
  'matched',
  'late_match',
  'already_matched',
  'duplicate_delivery',
  'unknown_order',
  'ignored_status',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

const PAYACTION_ACTOR = { kind: 'payaction', id: 'payaction' } as const;

/**
 * Applies one authenticated delivery. The delivery record and its effect commit together: a
 * delivery is either fully handled or not at all, and a trace id is handled once. Different trace
 * ids for one order still credit once, because the credit itself is conditional.
 */
export async function handleWebhook(deps: Deps, delivery: WebhookDelivery): Promise<WebhookOutcome> {
  const outcome = await applyDelivery(deps, delivery);
  deps.metrics?.webhook(outcome);
  if (outcome === 'matched' || outcome === 'late_match') deps.metrics?.orderMatched(outcome === 'late_match');
  return outcome;
}

async function applyDelivery(deps: Deps, delivery: WebhookDelivery): Promise<WebhookOutcome> {
  const { db } = deps;
  const now = deps.clock.now();
  try {
    return await inTrips(db, async (trips) => {
      let outcome: WebhookOutcome = 'ignored_status';
      let rows: Statement<void>[] = [];
      if (delivery.orderStatus === STATUS_LABELS.matched) {
        const why = `payaction trace ${delivery.traceId ?? '-'}`;
        const credit = await creditOnce(db, trips, delivery.orderNumber, PAYACTION_ACTOR, now, why);
        outcome = outcomeOf(credit.result);
        rows = credit.rows;
      }
      await trips.send([...rows, webhookEvent(db.kysely, delivery, outcome, now)], { commit: true });
      return outcome;
    });
  } catch (err) {
    if (err instanceof UniqueConflict && err.rule === 'trace_id') return 'duplicate_delivery';
    throw err;
  }
}

function outcomeOf(result: CreditResult): WebhookOutcome {
  switch (result.outcome) {
    case 'no_order':
      return 'unknown_order';
    case 'already_credited':
      return 'already_matched';
    case 'credited':
      return result.lateMatch ? 'late_match' : 'matched';
  }
}

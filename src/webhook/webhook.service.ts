import { UniqueConflict } from '../db/errors.js';
import { inTransaction } from '../db/tx.js';
import type { Deps } from '../deps.js';
import { STATUS_LABELS } from '../domain/order.js';
import { creditOnce } from '../ledger/credit.js';
import { findOrder } from '../orders/orders.repository.js';
import { insertWebhookEvent, type WebhookDelivery } from './webhook.repository.js';

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
  const now = deps.clock.now();
  try {
    return await inTransaction(deps.db, async (trx) => {
      let outcome: WebhookOutcome;
      const order =
        delivery.orderStatus === STATUS_LABELS.matched
          ? await findOrder(trx, delivery.orderNumber)
          : undefined;
      if (delivery.orderStatus !== STATUS_LABELS.matched) outcome = 'ignored_status';
      else if (!order) outcome = 'unknown_order';
      else {
        const why = `payaction trace ${delivery.traceId ?? '-'}`;
        const result = await creditOnce(trx, order, PAYACTION_ACTOR, now, why);
        outcome =
          result.outcome === 'already_credited'
            ? 'already_matched'
            : result.lateMatch
              ? 'late_match'
              : 'matched';
      }
      await insertWebhookEvent(trx, delivery, outcome, now);
      return outcome;
    });
  } catch (err) {
    if (err instanceof UniqueConflict && err.rule === 'trace_id') return 'duplicate_delivery';
    throw err;
  }
}

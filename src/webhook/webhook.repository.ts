import type { Kysely } from 'kysely';
import { isUniqueViolation, UniqueConflict } from '../db/errors.js';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { type Statement, statement } from '../db/trips.js';
import { toSafeInt } from '../db/values.js';

export interface WebhookDelivery {
  traceId: string | null;
  orderNumber: string;
  orderStatus: string;
  processingDate: string | null;
}

const insertEvent = prepared((db, p: WebhookDelivery & { outcome: string; nowMs: number }) =>
  db.insertInto('webhook_events').values({
    trace_id: p.traceId,
    order_number: p.orderNumber,
    order_status: p.orderStatus,
    processing_date: p.processingDate,
    outcome: p.outcome,
    received_at: p.nowMs,
  }),
);

/**
 * Records a delivery with its outcome; fails with `UniqueConflict('trace_id')` when this trace id
 * was seen before, which rolls back whatever the same transaction did for it.
 */
export function webhookEvent(
  db: Kysely<Database>,
  delivery: WebhookDelivery,
  outcome: string,
  nowMs: number,
): Statement<void> {
  const query = insertEvent.bound(db, {
    traceId: delivery.traceId,
    orderNumber: delivery.orderNumber.slice(0, 64),
    orderStatus: delivery.orderStatus.slice(0, 32),
    processingDate: delivery.processingDate?.slice(0, 64) ?? null,
    outcome,
    nowMs,
  });
  return statement(
    query,
    () => undefined,
    (err) =>
      isUniqueViolation(err, 'webhook_events_trace_id_uq', 'webhook_events.trace_id')
        ? new UniqueConflict('trace_id')
        : undefined,
  );
}

export async function countWebhookEvents(db: Kysely<Database>, orderNumber: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('order_number', '=', orderNumber)
    .executeTakeFirstOrThrow();
  return toSafeInt(row.n);
}

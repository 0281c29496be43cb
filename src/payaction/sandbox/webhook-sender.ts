import { randomUUID } from 'node:crypto';
import { formatKst } from '../../domain/kst.js';

export interface WebhookTarget {
  url: string;
  webhookKey: string;
  mallId: string;
  /** Waits before each resend; Payaction resends a non-200 up to 3 times. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface DeliveryRecord {
  orderNumber: string;
  traceId: string;
  attempts: number;
  delivered: boolean;
  lastStatus: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one `매칭완료` event the way Payaction does: one trace id for the event, kept across its
 * resends, which stop at the first 200 or after the last retry.
 */
export async function deliverMatch(target: WebhookTarget, orderNumber: string): Promise<DeliveryRecord> {
  const send = target.fetch ?? globalThis.fetch;
  const now = target.now ?? Date.now;
  const record: DeliveryRecord = {
    orderNumber,
    traceId: randomUUID(),
    attempts: 0,
    delivered: false,
    lastStatus: null,
  };
  const body = JSON.stringify({
    order_number: orderNumber,
    order_status: '매칭완료',
    processing_date: formatKst(now()),
  });
  for (let attempt = 0; attempt <= target.retryDelaysMs.length; attempt++) {
    if (attempt > 0) await sleep(target.retryDelaysMs[attempt - 1] ?? 0);
    record.attempts++;
    try {
      const res = await send(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-webhook-key': target.webhookKey,
          'x-mall-id': target.mallId,
          'x-trace-id': record.traceId,
        },
        body,
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      await res.arrayBuffer();
      record.lastStatus = res.status;
      if (res.status === 200) {
        record.delivered = true;
        return record;
      }
    } catch {
      record.lastStatus = null;
    }
  }
  return record;
}

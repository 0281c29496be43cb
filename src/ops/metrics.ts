import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CancelReason } from '../domain/order.js';

/** What the services report as it happens; an absent `metrics` in Deps simply reports nothing. */
export interface ServiceMetrics {
  orderCreated(): void;
  orderMatched(lateMatch: boolean): void;
  orderCancelled(reason: CancelReason): void;
  webhook(outcome: string): void;
  payactionCall(operation: string, ok: boolean, seconds: number): void;
  ledgerChecked(ok: boolean, atMs: number): void;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  rateLimitFallback(active: boolean): void;
  /** A transaction placed this many deposit requests together (MariaDB/MySQL, PostgreSQL). */
  depositBatch(size: number): void;
  /** A batch of deposit requests ran past its stall bound and let the next one start. */
  depositBatchStalled(): void;
}

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Prometheus metrics in a registry of their own, so that every app instance (and test) is separate. */
export class PromMetrics implements ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly orders = new Counter({
    name: 'deposit_orders_total',
    help: 'Order events in this instance: created, matched, late_match, cancelled, expired',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly cancelled = new Counter({
    name: 'deposit_orders_cancelled_total',
    help: 'Cancelled orders by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook deliveries by outcome (matched, duplicate, unknown order, unauthorized, …)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly payactionLatency = new Histogram({
    name: 'payaction_call_duration_seconds',
    help: 'Payaction calls, including retries, by operation and result',
    labelNames: ['operation', 'result'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly payactionErrors = new Counter({
    name: 'payaction_call_errors_total',
    help: 'Payaction calls that failed after their retries',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  private readonly fallback = new Gauge({
    name: 'rate_limit_fallback',
    help: 'Rate limits: 1 while Redis (REDIS_URL) fails and limits are counted per instance, else 0',
    registers: [this.registry],
  });
  private readonly fallbacks = new Counter({
    name: 'rate_limit_fallbacks_total',
    help: 'Times Redis failed and rate limits fell back to per-instance counting',
    registers: [this.registry],
  });
  private readonly batchSizes = new Histogram({
    name: 'deposit_batch_size',
    help: 'Deposit requests placed by one transaction (MariaDB/MySQL and PostgreSQL)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  private readonly batchStalls = new Counter({
    name: 'deposit_batch_stalls_total',
    help: 'Deposit batches still running after 100 ms, which let the next batch start (a slow database)',
    registers: [this.registry],
  });
  private readonly ledgerOk = new Gauge({
    name: 'ledger_check_ok',
    help: 'Result of the last ledger invariant check: 1 ok, 0 mismatch, -1 not run yet',
    registers: [this.registry],
  });
  private readonly ledgerAt = new Gauge({
    name: 'ledger_check_timestamp_seconds',
    help: 'When the last ledger invariant check ran',
    registers: [this.registry],
  });

  constructor(pendingOrders: () => Promise<number>) {
    this.ledgerOk.set(-1);
    this.fallback.set(0);
    new Gauge({
      name: 'deposit_orders_pending',
      help: 'Orders waiting for a transfer (from the database)',
      registers: [this.registry],
      async collect() {
        this.set(await pendingOrders());
      },
    });
  }

  orderCreated(): void {
    this.orders.inc({ event: 'created' });
  }
  orderMatched(lateMatch: boolean): void {
    this.orders.inc({ event: lateMatch ? 'late_match' : 'matched' });
  }
  orderCancelled(reason: CancelReason): void {
    this.orders.inc({ event: reason === 'expired' ? 'expired' : 'cancelled' });
    this.cancelled.inc({ reason });
  }
  webhook(outcome: string): void {
    this.webhooks.inc({ outcome });
  }
  payactionCall(operation: string, ok: boolean, seconds: number): void {
    this.payactionLatency.observe({ operation, result: ok ? 'ok' : 'error' }, seconds);
    if (!ok) this.payactionErrors.inc({ operation });
  }
  ledgerChecked(ok: boolean, atMs: number): void {
    this.ledgerOk.set(ok ? 1 : 0);
    this.ledgerAt.set(Math.floor(atMs / 1000));
  }
  rateLimitFallback(active: boolean): void {
    this.fallback.set(active ? 1 : 0);
    if (active) this.fallbacks.inc();
  }
  depositBatch(size: number): void {
    this.batchSizes.observe(size);
  }
  depositBatchStalled(): void {
    this.batchStalls.inc();
  }
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }
}

import type { Config } from '../config.js';
import { isoKst } from '../domain/kst.js';
import { type HttpPost, keepAlivePost, type PostAnswer, TransportError } from './http-post.js';

/**
 * Everything we know of Payaction's API lives here (and in the sandbox): paths, headers, body
 * fields and answer shapes. These come from public integrations, so a correction touches one file.
 */
export interface PayactionOrder {
  orderNumber: string;
  amount: number;
  orderDateMs: number;
  billingName: string;
  ordererName: string;
}

export type PayactionResult =
  | { ok: true; response: unknown }
  | { ok: false; detail: string; response: unknown; attempts: number };

export interface PayactionClient {
  /**
   * `again`: an earlier call may have registered this order already (its answer was lost), so a
   * duplicate answer means it is registered.
   */
  registerOrder(order: PayactionOrder, again?: boolean): Promise<PayactionResult>;
  excludeOrder(orderNumber: string): Promise<PayactionResult>;
}

export interface HttpPayactionOptions {
  baseUrl: string;
  apiKey: string;
  mallId: string;
  timeoutMs: number;
  attemptsMax: number;
  backoffBaseMs?: number;
  post?: HttpPost;
}

type Attempt =
  | { kind: 'success'; response: unknown }
  | { kind: 'rejected'; detail: string; response: unknown }
  | { kind: 'transient'; detail: string; response: unknown };

// How Payaction words a rejected duplicate order number. Only a retried registration reads it: the
// first attempt may have reached Payaction before its answer was lost.
const DUPLICATE_ORDER_RE = /duplicate|already (registered|exists)|이미 (등록|존재)|중복/i;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isPayactionAnswer(body: unknown): body is { status: string; response?: unknown } {
  return (
    typeof body === 'object' && body !== null && typeof (body as { status?: unknown }).status === 'string'
  );
}

function errorMessage(response: unknown): string {
  if (typeof response === 'object' && response !== null) {
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return 'Payaction reported an error';
}

export class HttpPayactionClient implements PayactionClient {
  private readonly post: HttpPost;
  private readonly backoffBaseMs: number;

  constructor(private readonly options: HttpPayactionOptions) {
    this.post = options.post ?? keepAlivePost();
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
  }

  registerOrder(order: PayactionOrder, again = false): Promise<PayactionResult> {
    const body = {
      order_number: order.orderNumber,
      order_amount: order.amount,
      order_date: isoKst(order.orderDateMs),
      billing_name: order.billingName,
      orderer_name: order.ordererName,
    };
    return this.call('/order', body, again);
  }

  excludeOrder(orderNumber: string): Promise<PayactionResult> {
    return this.call('/order-exclude', { order_number: orderNumber });
  }

  /** Retries only what may succeed on a second try: network errors, timeouts and 5xx answers. */
  private async call(path: string, body: Record<string, unknown>, again = false): Promise<PayactionResult> {
    let last: Attempt = { kind: 'transient', detail: 'not attempted', response: null };
    for (let attempt = 1; attempt <= this.options.attemptsMax; attempt++) {
      if (attempt > 1) await sleep(this.backoffBaseMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
      last = await this.attempt(path, body);
      if (last.kind === 'success') return { ok: true, response: last.response };
      if (
        last.kind === 'rejected' &&
        (attempt > 1 || again) &&
        path === '/order' &&
        DUPLICATE_ORDER_RE.test(last.detail)
      ) {
        return { ok: true, response: last.response };
      }
      if (last.kind === 'rejected')
        return { ok: false, detail: last.detail, response: last.response, attempts: attempt };
    }
    return { ok: false, detail: last.detail, response: last.response, attempts: this.options.attemptsMax };
  }

  private async attempt(path: string, body: Record<string, unknown>): Promise<Attempt> {
    let res: PostAnswer;
    try {
      res = await this.post(
        `${this.options.baseUrl}${path}`,
        {
          'content-type': 'application/json',
          'x-api-key': this.options.apiKey,
          'x-mall-id': this.options.mallId,
        },
        JSON.stringify(body),
        this.options.timeoutMs,
      );
    } catch (err) {
      const timedOut = err instanceof TransportError && err.timedOut;
      return {
        kind: 'transient',
        detail: timedOut ? 'Payaction timed out' : 'Payaction unreachable',
        response: null,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    const ok = res.status >= 200 && res.status < 300;
    if (res.status >= 500 || (ok && !isPayactionAnswer(parsed))) {
      return { kind: 'transient', detail: `Payaction answered HTTP ${res.status}`, response: parsed ?? null };
    }
    if (!ok)
      return { kind: 'rejected', detail: `Payaction answered HTTP ${res.status}`, response: parsed ?? null };
    const answer = parsed as { status: string; response?: unknown };
    if (answer.status === 'success') return { kind: 'success', response: answer };
    return { kind: 'rejected', detail: errorMessage(answer.response), response: answer };
  }
}

/** The client as configured; `baseUrl` overrides the configured one (the embedded sandbox's address). */
export function payactionClientFor(config: Config, baseUrl?: string): PayactionClient {
  const { apiKey, mallId, timeoutMs, attemptsMax } = config.payaction;
  return new HttpPayactionClient({
    baseUrl: baseUrl ?? config.payaction.baseUrl,
    apiKey,
    mallId,
    timeoutMs,
    attemptsMax,
  });
}

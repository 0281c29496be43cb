import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { isoKst } from '../../domain/kst.js';
import { secretEquals } from '../../http/auth.js';
import { SandboxState } from './state.js';
import { type DeliveryRecord, deliverMatch, type WebhookTarget } from './webhook-sender.js';

/**
 * A stand-in for Payaction that speaks its HTTP API (`POST /order`, `POST /order-exclude`, with
 * `x-api-key` / `x-mall-id`) and sends its webhooks, plus `POST /_sandbox/transfers`, which
 * simulates a bank transfer arriving at the shop's account.
 */
export interface SandboxOptions {
  apiKey: string;
  mallId: string;
  webhook: WebhookTarget;
  /** A pino logger (Fastify 5 takes an instance as `loggerInstance`; `logger` accepts options only). */
  logger?: FastifyBaseLogger;
}

export interface Sandbox {
  app: FastifyInstance;
  state: SandboxState;
  deliveries: DeliveryRecord[];
  /** Resolves when every webhook delivery started so far has finished (delivered or given up). */
  idle(): Promise<void>;
}

const OrderBody = Type.Object({
  order_number: Type.String({ minLength: 1, maxLength: 64 }),
  order_amount: Type.Integer({ minimum: 1 }),
  order_date: Type.String({ minLength: 1 }),
  billing_name: Type.String({ minLength: 1, maxLength: 64 }),
  orderer_name: Type.String({ minLength: 1, maxLength: 64 }),
  orderer_phone_number: Type.Optional(Type.String()),
  orderer_email: Type.Optional(Type.String()),
});
const ExcludeBody = Type.Object({ order_number: Type.String({ minLength: 1, maxLength: 64 }) });
const TransferBody = Type.Object({
  billing_name: Type.String({ minLength: 1, maxLength: 64 }),
  amount: Type.Integer({ minimum: 1 }),
});

const success = (response: unknown) => ({ status: 'success', response });
const error = (message: string) => ({ status: 'error', response: { message } });

export const SANDBOX_DUPLICATE_MESSAGE = 'duplicate order_number';

export function buildSandbox(options: SandboxOptions): Sandbox {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 16 * 1024,
  });
  const state = new SandboxState();
  const deliveries: DeliveryRecord[] = [];
  const running = new Set<Promise<unknown>>();

  app.addHook('preHandler', async (req, reply) => {
    if (req.url.startsWith('/_sandbox/')) return;
    const key = req.headers['x-api-key'];
    const mall = req.headers['x-mall-id'];
    const ok =
      typeof key === 'string' &&
      typeof mall === 'string' &&
      secretEquals(key, options.apiKey) &&
      secretEquals(mall, options.mallId);
    if (!ok) return reply.code(401).send(error('invalid x-api-key or x-mall-id'));
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    reply.code(status).send(error(status < 500 ? err.message : 'internal error'));
  });

  app.post('/order', { schema: { body: OrderBody } }, async (req) => {
    const b = req.body as Type.Static<typeof OrderBody>;
    const outcome = state.register({
      orderNumber: b.order_number,
      amount: b.order_amount,
      billingName: b.billing_name,
      ordererName: b.orderer_name,
      orderDate: b.order_date,
    });
    return outcome === 'registered'
      ? success({ order_number: b.order_number })
      : error(SANDBOX_DUPLICATE_MESSAGE);
  });

  app.post('/order-exclude', { schema: { body: ExcludeBody } }, async (req) => {
    const { order_number: orderNumber } = req.body as Type.Static<typeof ExcludeBody>;
    const outcome = state.exclude(orderNumber);
    if (outcome === 'unknown') return error('unknown order_number');
    if (outcome === 'matched') return error('order already matched');
    return success({ order_number: orderNumber });
  });

  app.post('/_sandbox/transfers', { schema: { body: TransferBody } }, async (req) => {
    const b = req.body as Type.Static<typeof TransferBody>;
    const now = options.webhook.now?.() ?? Date.now();
    const transfer = state.transfer(b.billing_name.trim(), b.amount, isoKst(now));
    if (transfer.orderNumber) {
      const delivery = deliverMatch(options.webhook, transfer.orderNumber).then((record) => {
        deliveries.push(record);
        if (!record.delivered) app.log.warn({ record }, 'webhook not delivered');
      });
      running.add(delivery);
      void delivery.finally(() => running.delete(delivery));
    }
    return {
      status: 'success',
      result: transfer.result,
      ...(transfer.orderNumber ? { order_number: transfer.orderNumber } : {}),
      ...(transfer.result === 'ambiguous' ? { candidates: transfer.candidates } : {}),
    };
  });

  app.get('/_sandbox/transfers', async () => ({
    status: 'success',
    transfers: state.listTransfers().map((t) => ({
      id: t.id,
      billing_name: t.billingName,
      amount: t.amount,
      received_at: t.receivedAt,
      result: t.result,
      order_number: t.orderNumber,
      candidates: t.candidates,
    })),
  }));

  return {
    app,
    state,
    deliveries,
    idle: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/types.js';
import { handleWebhook } from './webhook.service.js';

const WebhookBody = Type.Object({
  order_number: Type.String({ minLength: 1, maxLength: 64 }),
  order_status: Type.String({ minLength: 1, maxLength: 32 }),
  processing_date: Type.Optional(Type.String({ maxLength: 64 })),
});

const TRACE_ID_RE = /^[\x21-\x7e]{1,128}$/;

export function webhookRoutes(app: App, deps: Deps): void {
  app.post('/webhook', { config: { auth: 'webhook' }, schema: { body: WebhookBody } }, async (req) => {
    const header = req.headers['x-trace-id'];
    const traceId = typeof header === 'string' && TRACE_ID_RE.test(header) ? header : null;
    const outcome = await handleWebhook(deps, {
      traceId,
      orderNumber: req.body.order_number,
      orderStatus: req.body.order_status,
      processingDate: req.body.processing_date ?? null,
    });
    req.log.info({ outcome, orderNumber: req.body.order_number }, 'webhook handled');
    return { status: 'success' };
  });
}

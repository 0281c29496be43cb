import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { SINGLE_LINE_TEXT_PATTERN } from '../domain/input.js';
import { answers, Responses } from '../http/responses.js';
import type { App } from '../http/types.js';
import { receiveWebhook } from './intake.js';

const WebhookBody = Type.Object({
  order_number: Type.String({ minLength: 1, maxLength: 64, pattern: SINGLE_LINE_TEXT_PATTERN }),
  order_status: Type.String({ minLength: 1, maxLength: 32, pattern: SINGLE_LINE_TEXT_PATTERN }),
  processing_date: Type.Optional(Type.String({ maxLength: 64, pattern: SINGLE_LINE_TEXT_PATTERN })),
});

const TRACE_ID_RE = /^[\x21-\x7e]{1,128}$/;

export function webhookRoutes(app: App, deps: Deps): void {
  app.post(
    '/webhook',
    { config: { auth: 'webhook' }, schema: { body: WebhookBody, response: answers(Responses.ok) } },
    async (req) => {
      const header = req.headers['x-trace-id'];
      const traceId = typeof header === 'string' && TRACE_ID_RE.test(header) ? header : null;
      const outcome = await receiveWebhook(deps, {
        traceId,
        orderNumber: req.body.order_number,
        orderStatus: req.body.order_status,
        processingDate: req.body.processing_date ?? null,
      });
      req.log.info({ outcome, orderNumber: req.body.order_number }, 'webhook handled');
      return { status: 'success' as const };
    },
  );
}

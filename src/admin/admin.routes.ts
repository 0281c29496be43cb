import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { fail } from '../domain/errors.js';
import { NON_BLANK_TEXT_PATTERN, TEXT_PATTERN } from '../domain/input.js';
import { parseStatus } from '../domain/order.js';
import { actorOf } from '../http/auth.js';
import { nextCursor, pageRequest } from '../http/pagination.js';
import { adminOrderItem, settledItem, summaryItem } from '../http/present.js';
import { answers, Responses } from '../http/responses.js';
import { DateQuery, OrderNumberParams, PageQuery, Username } from '../http/schemas.js';
import type { App } from '../http/types.js';
import {
  completeOrder,
  listAllOrders,
  listSettled,
  manualMatch,
  type OrderQuery,
  summary,
} from './admin.service.js';

const OrderListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.String({ maxLength: 16 })),
  username: Type.Optional(Username),
  from: Type.Optional(DateQuery),
  to: Type.Optional(DateQuery),
});
type OrderListQuery = Type.Static<typeof OrderListQuery>;

function orderQuery(query: OrderListQuery): OrderQuery {
  const status = query.status === undefined ? undefined : parseStatus(query.status);
  if (query.status !== undefined && status === undefined) throw fail('validation_error', 'status');
  return { ...pageRequest(query), status, username: query.username, from: query.from, to: query.to };
}

const CompleteBody = Type.Object({
  memo: Type.Optional(Type.String({ maxLength: 500, pattern: TEXT_PATTERN })),
});
const MatchBody = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 500, pattern: NON_BLANK_TEXT_PATTERN }),
});

export function adminRoutes(app: App, deps: Deps): void {
  const admin = { config: { auth: 'admin' as const } };

  app.get(
    '/admin/transactions',
    { ...admin, schema: { querystring: OrderListQuery, response: answers(Responses.settled) } },
    async (req) => {
      const page = await listSettled(deps, orderQuery(req.query));
      return {
        status: 'success' as const,
        deposits: page.items.map(settledItem),
        next_cursor: nextCursor(page),
      };
    },
  );

  app.get(
    '/admin/orders',
    { ...admin, schema: { querystring: OrderListQuery, response: answers(Responses.orders) } },
    async (req) => {
      const page = await listAllOrders(deps, orderQuery(req.query));
      return {
        status: 'success' as const,
        orders: page.items.map(adminOrderItem),
        next_cursor: nextCursor(page),
      };
    },
  );

  app.post(
    '/admin/orders/:order_number/complete',
    {
      ...admin,
      schema: {
        params: OrderNumberParams,
        body: Type.Optional(CompleteBody),
        response: answers(Responses.order),
      },
    },
    async (req) => {
      const order = await completeOrder(deps, actorOf(req), req.params.order_number, req.body?.memo);
      return { status: 'success' as const, order: adminOrderItem(order) };
    },
  );

  app.post(
    '/admin/orders/:order_number/match',
    { ...admin, schema: { params: OrderNumberParams, body: MatchBody, response: answers(Responses.order) } },
    async (req) => {
      const order = await manualMatch(deps, actorOf(req), req.params.order_number, req.body.reason.trim());
      return { status: 'success' as const, order: adminOrderItem(order) };
    },
  );

  app.get('/admin/summary', { ...admin, schema: { response: answers(Responses.summary) } }, async () => ({
    status: 'success' as const,
    summary: summaryItem(await summary(deps)),
  }));
}

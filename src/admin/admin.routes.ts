import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { fail } from '../domain/errors.js';
import { parseStatus } from '../domain/order.js';
import { actorOf } from '../http/auth.js';
import { nextCursor, pageRequest } from '../http/pagination.js';
import { adminOrderItem, settledItem, summaryItem } from '../http/present.js';
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

const CompleteBody = Type.Object({ memo: Type.Optional(Type.String({ maxLength: 500 })) });
const MatchBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) });

export function adminRoutes(app: App, deps: Deps): void {
  const admin = { config: { auth: 'admin' as const } };

  app.get('/admin/transactions', { ...admin, schema: { querystring: OrderListQuery } }, async (req) => {
    const page = await listSettled(deps, orderQuery(req.query));
    return { status: 'success', deposits: page.items.map(settledItem), next_cursor: nextCursor(page) };
  });

  app.get('/admin/orders', { ...admin, schema: { querystring: OrderListQuery } }, async (req) => {
    const page = await listAllOrders(deps, orderQuery(req.query));
    return { status: 'success', orders: page.items.map(adminOrderItem), next_cursor: nextCursor(page) };
  });

  app.post(
    '/admin/orders/:order_number/complete',
    { ...admin, schema: { params: OrderNumberParams, body: Type.Optional(CompleteBody) } },
    async (req) => {
      const order = await completeOrder(deps, actorOf(req), req.params.order_number, req.body?.memo);
      return { status: 'success', order: adminOrderItem(order) };
    },
  );

  app.post(
    '/admin/orders/:order_number/match',
    { ...admin, schema: { params: OrderNumberParams, body: MatchBody } },
    async (req) => {
      const order = await manualMatch(deps, actorOf(req), req.params.order_number, req.body.reason.trim());
      return { status: 'success', order: adminOrderItem(order) };
    },
  );

  app.get('/admin/summary', admin, async () => ({
    status: 'success',
    summary: summaryItem(await summary(deps)),
  }));
}

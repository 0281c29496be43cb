import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { actorOf } from '../http/auth.js';
import { idempotent } from '../http/idempotency.js';
import { nextCursor, pageRequest } from '../http/pagination.js';
import { depositBody, historyItem } from '../http/present.js';
import { answers, Responses } from '../http/responses.js';
import { Amount, BillingName, OrderNumber, PageQuery, Username, UsernameParams } from '../http/schemas.js';
import type { App } from '../http/types.js';
import { cancelOrder, requestDeposit, transactionHistory } from './orders.service.js';

const DepositBody = Type.Object({ username: Username, billing_name: BillingName, amount: Amount });
const CancelBody = Type.Object({ order_number: OrderNumber });

export function orderRoutes(app: App, deps: Deps): void {
  app.post(
    '/deposit-request',
    { config: { auth: 'user' }, schema: { body: DepositBody, response: answers(Responses.deposit) } },
    async (req, reply) => {
      const { username, billing_name: billingName, amount } = req.body;
      const answer = await idempotent(deps, req, 'deposit-request', async () => {
        const order = await requestDeposit(deps, actorOf(req), { username, billingName, amount });
        return { statusCode: 200, body: depositBody(deps.config, order) };
      });
      return reply.code(answer.statusCode).send(answer.body);
    },
  );

  app.post(
    '/cancel-order',
    { config: { auth: 'user' }, schema: { body: CancelBody, response: answers(Responses.cancel) } },
    async (req, reply) => {
      const answer = await idempotent(deps, req, 'cancel-order', async () => {
        const { payactionResponse } = await cancelOrder(deps, actorOf(req), req.body.order_number);
        const body = {
          status: 'success' as const,
          msg: '주문이 취소되었습니다',
          payaction_response: payactionResponse,
        };
        return { statusCode: 200, body };
      });
      return reply.code(answer.statusCode).send(answer.body);
    },
  );

  app.get(
    '/transaction-history/:username',
    {
      config: { auth: 'user' },
      schema: {
        params: UsernameParams,
        querystring: Type.Object(PageQuery),
        response: answers(Responses.history),
      },
    },
    async (req) => {
      const page = await transactionHistory(deps, actorOf(req), req.params.username, pageRequest(req.query));
      return {
        status: 'success' as const,
        transactions: page.items.map(historyItem),
        next_cursor: nextCursor(page),
      };
    },
  );
}

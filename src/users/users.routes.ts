import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { actorOf } from '../http/auth.js';
import { nextCursor, pageRequest } from '../http/pagination.js';
import { userItem } from '../http/present.js';
import { answers, ErrorBody, Responses } from '../http/responses.js';
import { PageQuery, Username, UsernameParams } from '../http/schemas.js';
import type { App } from '../http/types.js';
import { createUser, getUser, pageUsers, updateWallet } from './users.service.js';

const WalletAddress = Type.String({ minLength: 1, maxLength: 64 });
const CreateUserBody = Type.Object({
  username: Username,
  wallet_address: Type.Optional(Type.Union([WalletAddress, Type.Null()])),
});
const WalletBody = Type.Object({ wallet_address: Type.Union([WalletAddress, Type.Null()]) });

export function userRoutes(app: App, deps: Deps): void {
  app.get(
    '/users/:username',
    { config: { auth: 'user' }, schema: { params: UsernameParams, response: answers(Responses.user) } },
    async (req) => {
      const user = await getUser(deps, actorOf(req), req.params.username);
      return { status: 'success' as const, user: userItem(user) };
    },
  );

  app.post(
    '/admin/users',
    {
      config: { auth: 'admin' },
      schema: { body: CreateUserBody, response: { 201: Responses.user, '4xx': ErrorBody, '5xx': ErrorBody } },
    },
    async (req, reply) => {
      const user = await createUser(deps, req.body.username, req.body.wallet_address);
      return reply.code(201).send({ status: 'success' as const, user: userItem(user) });
    },
  );

  app.get(
    '/admin/users',
    {
      config: { auth: 'admin' },
      schema: { querystring: Type.Object(PageQuery), response: answers(Responses.users) },
    },
    async (req) => {
      const page = await pageUsers(deps, pageRequest(req.query));
      return { status: 'success' as const, users: page.items.map(userItem), next_cursor: nextCursor(page) };
    },
  );

  app.patch(
    '/admin/users/:username',
    {
      config: { auth: 'admin' },
      schema: { params: UsernameParams, body: WalletBody, response: answers(Responses.user) },
    },
    async (req) => {
      const user = await updateWallet(deps, req.params.username, req.body.wallet_address);
      return { status: 'success' as const, user: userItem(user) };
    },
  );
}

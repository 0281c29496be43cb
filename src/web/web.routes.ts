import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { errorAnswer } from '../http/errors.js';
import { answers } from '../http/responses.js';
import { BillingName } from '../http/schemas.js';
import type { App } from '../http/types.js';
import { defaultWebDir, PAGE_CSP, type PageSettings, readAsset, readPage } from './pages.js';
import { demoToken, listTransfers, simulateTransfer } from './sandbox-panel.service.js';

const AssetParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const TransferBody = Type.Object({
  billing_name: BillingName,
  amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
});
const ASSET_CACHE = 'public, max-age=31536000, immutable';
const Success = Type.Literal('success');
const Result = Type.Union([Type.Literal('matched'), Type.Literal('unmatched'), Type.Literal('ambiguous')]);
const DemoTokenResponse = Type.Object({
  status: Success,
  username: Type.String(),
  token: Type.String({ description: 'a user JWT for the demo user' }),
  expires_in: Type.Integer({ description: 'seconds' }),
});
const TransferResponse = Type.Object({
  status: Success,
  result: Result,
  order_number: Type.Optional(Type.String()),
  candidates: Type.Optional(
    Type.Array(Type.String(), { description: 'orders an ambiguous transfer could be' }),
  ),
});
const TransfersResponse = Type.Object({
  status: Success,
  transfers: Type.Array(
    Type.Object({
      id: Type.Integer(),
      billing_name: Type.String(),
      amount: Type.Integer(),
      received_at: Type.String({ description: 'ISO 8601 with +09:00' }),
      result: Result,
      order_number: Type.Union([Type.String(), Type.Null()]),
      candidates: Type.Array(Type.String()),
    }),
    { description: 'newest first' },
  ),
});
/** Pages and their files are not part of the API description. */
const PAGE = { config: { auth: 'none' as const }, schema: { hide: true } };

/**
 * The deposit page at `/`, the admin dashboard at `/admin` and their hashed assets, built by Vite
 * into `dist/web`. In sandbox mode also the demo sign-in and the operators' simulated transfers.
 */
export interface WebRoutesOptions {
  sandboxUrl?: string;
  webDir?: string;
}

export function webRoutes(app: App, deps: Deps, options: WebRoutesOptions = {}): void {
  const webDir = options.webDir ?? defaultWebDir();
  const settings: PageSettings = {
    sandbox: deps.config.payaction.sandbox,
    minAmount: deps.config.minAmount,
    maxAmount: deps.config.maxAmount,
  };

  const sendPage = async (page: 'deposit' | 'admin', reply: FastifyReply) => {
    const html = await readPage(webDir, page, settings);
    if (html === undefined) {
      const answer = errorAnswer('not_found', 'web pages are not built (npm run build)');
      return reply.code(answer.statusCode).send(answer.body);
    }
    return reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(html);
  };

  app.get('/', PAGE, (_req, reply) => sendPage('deposit', reply));
  app.get('/admin', PAGE, (_req, reply) => sendPage('admin', reply));
  app.get('/admin/', PAGE, (_req, reply) => sendPage('admin', reply));
  app.get(
    '/assets/:name',
    { ...PAGE, schema: { ...PAGE.schema, params: AssetParams } },
    async (req, reply) => {
      const asset = await readAsset(webDir, req.params.name);
      if (!asset) return reply.callNotFound();
      return reply.header('cache-control', ASSET_CACHE).type(asset.contentType).send(asset.body);
    },
  );

  if (!deps.config.payaction.sandbox) return;
  const demo = { config: { auth: 'none' as const }, schema: { response: answers(DemoTokenResponse) } };
  app.post('/demo/token', demo, async () => {
    const demo = await demoToken(deps);
    return {
      status: 'success' as const,
      username: demo.username,
      token: demo.token,
      expires_in: demo.expiresInS,
    };
  });

  const { sandboxUrl } = options;
  if (!sandboxUrl) return;
  const admin = { config: { auth: 'admin' as const } };
  app.post(
    '/admin/sandbox/transfers',
    { ...admin, schema: { body: TransferBody, response: answers(TransferResponse) } },
    async (req) => ({
      status: 'success' as const,
      ...(await simulateTransfer(sandboxUrl, req.body.billing_name, req.body.amount)),
    }),
  );
  app.get(
    '/admin/sandbox/transfers',
    { ...admin, schema: { response: answers(TransfersResponse) } },
    async () => ({
      status: 'success' as const,
      transfers: await listTransfers(sandboxUrl),
    }),
  );
}

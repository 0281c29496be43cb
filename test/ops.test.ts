import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { connect } from '../src/db/connect.js';
import { HttpPayactionClient } from '../src/payaction/client.js';
import { ADMIN_TOKEN, forEachDatabase, JWT_SECRET, WEBHOOK_KEY } from './support/harness.js';

const METRICS_TOKEN = 'test-metrics-token-0123456789abcdefghijkl';

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}

/** The value of one Prometheus sample, e.g. `deposit_orders_total{event="created"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

forEachDatabase(
  'health, metrics and documentation',
  (h) => {
    it('answers /healthz and /readyz', async () => {
      expect((await h().api('GET', '/healthz', { token: null })).body).toEqual({ status: 'success' });
      const ready = await h().api('GET', '/readyz', { token: null });
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'success', database: h().dialect });
    });

    it('echoes the caller request id, or makes one', async () => {
      const given = await h().api('GET', '/healthz', {
        token: null,
        headers: { 'x-request-id': 'req-abc-123' },
      });
      expect(given.headers.get('x-request-id')).toBe('req-abc-123');
      const made = await h().api('GET', '/healthz', { token: null });
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('serves /metrics to the admin and metrics tokens only', async () => {
      await h().createUser('ops_user');
      const userToken = await h().userToken('ops_user');
      expect((await h().api('GET', '/metrics', { token: null })).status).toBe(401);
      expect((await h().api('GET', '/metrics', { token: userToken })).status).toBe(403);
      const viaMetricsToken = await fetch(`${h().url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(viaMetricsToken.status).toBe(200);
      expect(viaMetricsToken.headers.get('content-type')).toContain('text/plain');
      // The metrics token opens nothing else.
      expect((await h().api('GET', '/admin/summary', { token: METRICS_TOKEN })).status).toBe(403);
    });

    it('counts requests, orders, webhook outcomes and Payaction calls', async () => {
      const first = await h().deposit('ops_user', '지표일', 10000);
      await h().deposit('ops_user', '지표이', 11000);
      await h().webhook(first.body.order_number as string);
      await h().webhook(first.body.order_number as string);
      await h().api('POST', '/webhook', {
        token: null,
        headers: { 'x-webhook-key': 'wrong', 'x-mall-id': h().stub.mallId },
        body: { order_number: 'X', order_status: '매칭완료' },
      });
      const res = await fetch(`${h().url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const text = await res.text();
      expect(sample(text, 'deposit_orders_total{event="created"}')).toBe(2);
      expect(sample(text, 'deposit_orders_total{event="matched"}')).toBe(1);
      expect(sample(text, 'webhook_deliveries_total{outcome="matched"}')).toBe(1);
      expect(sample(text, 'webhook_deliveries_total{outcome="already_matched"}')).toBe(1);
      expect(sample(text, 'webhook_deliveries_total{outcome="unauthorized"}')).toBe(1);
      expect(sample(text, 'payaction_call_duration_seconds_count{operation="order",result="ok"}')).toBe(2);
      expect(sample(text, 'deposit_orders_pending')).toBe(1);
      expect(sample(text, 'http_requests_total{method="POST",route="/deposit-request",status="200"}')).toBe(
        2,
      );
      expect(text).toContain(
        'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/deposit-request"',
      );
      expect(sample(text, 'ledger_check_ok')).toBe(-1);
      expect(sample(text, 'rate_limit_fallback')).toBe(0);
      // MariaDB/MySQL and PostgreSQL place deposits in batches; SQLite places each alone.
      expect(sample(text, 'deposit_batch_size_sum')).toBe(h().dialect === 'sqlite' ? 0 : 2);
      expect(sample(text, 'deposit_batch_stalls_total')).toBe(0);
    });

    it('documents every route in /openapi.json and serves the docs page locally', async () => {
      const doc = (await h().api('GET', '/openapi.json', { token: null })).body as unknown as OpenApiDoc;
      const documented = new Set(
        Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
        ),
      );
      const routes = h()
        .app.routeTable.filter((r) => !r.hidden && r.method !== 'HEAD' && r.method !== 'OPTIONS')
        .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
      expect(routes.length).toBeGreaterThanOrEqual(15);
      for (const route of routes) expect(documented.has(route), `${route} documented`).toBe(true);
      for (const api of [
        'POST /deposit-request',
        'POST /webhook',
        'GET /admin/transactions',
        'GET /readyz',
      ]) {
        expect(documented.has(api)).toBe(true);
      }
      const page = await fetch(`${h().url}/docs/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
    });

    it('answers in the documented shapes', async () => {
      const doc = (await h().api('GET', '/openapi.json', { token: null })).body as unknown as OpenApiDoc;
      const ajv = new Ajv({ strict: false });
      const check = async (method: string, path: string, docPath: string, body?: unknown, token?: string) => {
        const res = await h().api(method, path, { body, ...(token !== undefined ? { token } : {}) });
        const responses = doc.paths[docPath]?.[method.toLowerCase()]?.responses ?? {};
        const entry = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`];
        const schema = entry?.content?.['application/json']?.schema;
        expect(schema, `${method} ${path} → ${res.status} documented`).toBeDefined();
        const valid = ajv.validate(schema as object, res.body);
        expect(valid, `${method} ${path} → ${res.status}: ${ajv.errorsText()}`).toBe(true);
        return res;
      };
      await check('POST', '/admin/users', '/admin/users', { username: 'shape_user' });
      const order = await check('POST', '/deposit-request', '/deposit-request', {
        username: 'shape_user',
        billing_name: '모양',
        amount: 15000,
      });
      const number = order.body.order_number as string;
      await check('GET', '/transaction-history/shape_user', '/transaction-history/{username}');
      await check('POST', '/cancel-order', '/cancel-order', { order_number: number });
      await check('POST', `/admin/orders/${number}/match`, '/admin/orders/{order_number}/match', {
        reason: '확인',
      });
      await check('POST', `/admin/orders/${number}/complete`, '/admin/orders/{order_number}/complete', {});
      await check('GET', '/admin/transactions', '/admin/transactions');
      await check('GET', '/admin/orders?limit=2', '/admin/orders');
      await check('GET', '/admin/users', '/admin/users');
      await check('PATCH', '/admin/users/shape_user', '/admin/users/{username}', { wallet_address: null });
      await check('GET', '/users/shape_user', '/users/{username}');
      await check('GET', '/admin/summary', '/admin/summary');
      await check('GET', '/readyz', '/readyz');
      // Failures are documented too.
      await check('POST', '/deposit-request', '/deposit-request', { username: 'shape_user', amount: 'x' });
      await check('GET', '/users/nobody_here', '/users/{username}');
      await check('POST', '/cancel-order', '/cancel-order', { order_number: number }, 'bad-token');
    });
  },
  { env: { METRICS_TOKEN } },
);

describe('readiness when the database is not ready', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-ready-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const appOn = async (databaseUrl: string) => {
    const config = parseConfig({
      DATABASE_URL: databaseUrl,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      AUTH_JWT_SECRET: JWT_SECRET,
      PAYACTION_WEBHOOK_KEY: WEBHOOK_KEY,
      PAYACTION_API_KEY: 'k',
      PAYACTION_MALL_ID: 'm',
    });
    const db = connect(config.databaseUrl, { connectTimeoutMs: 500 });
    const payaction = new HttpPayactionClient({ ...config.payaction, baseUrl: 'http://127.0.0.1:9' });
    const app = await buildApp({
      config,
      db,
      clock: { now: Date.now },
      random: { bytes: () => new Uint8Array() },
      payaction,
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const close = async () => {
      await app.close();
      await db.close();
    };
    return { url, close };
  };

  it('answers 503 not_migrated on an empty database', async () => {
    const server = await appOn(`sqlite:${join(dir, 'empty.db')}`);
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 'fail',
        code: 'database_unavailable',
        reason: 'not_migrated',
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers 503 quickly when the database cannot be reached', async () => {
    const server = await appOn('postgres://postgres@127.0.0.1:9/none');
    try {
      const started = Date.now();
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ reason: 'database_unreachable' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await server.close();
    }
  });
});

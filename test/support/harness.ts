import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Config, parseConfig } from '../../src/config.js';
import { connect, type Db, type Dialect } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import type { Deps } from '../../src/deps.js';
import type { App } from '../../src/http/types.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { metricsFor } from '../../src/ops/ops.routes.js';
import { HttpPayactionClient } from '../../src/payaction/client.js';
import { instrumented } from '../../src/payaction/instrumented.js';
import { WebhookSpool } from '../../src/webhook/spool.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './databases.js';
import { PayactionStub } from './payaction-stub.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrs';
export const WEBHOOK_KEY = 'test-webhook-key-0123456789abcdefghijklmnop';

/** A clock the tests move by hand. Starts at 2026-11-28 12:00 KST. */
export class FakeClock {
  constructor(public ms = Date.UTC(2026, 10, 28, 3, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown> & { status?: string; code?: string; msg?: string };
  headers: Headers;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** One request to a server under test, as the admin unless `opts.token` says otherwise. */
export async function sendApi(
  url: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse> {
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  const headers: Record<string, string> = { ...opts.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: ApiResponse['body'];
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // A non-JSON answer is itself a finding; keep it readable in the failure.
    parsed = { unparsed: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface Harness {
  dialect: Dialect;
  url: string;
  app: App;
  db: Db;
  deps: Deps;
  clock: FakeClock;
  stub: PayactionStub;
  config: Config;
  /** Sends a real HTTP request to the listening server. Admin token unless `token` is given. */
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  userToken(username: string, options?: { expiresInS?: number; secret?: string }): Promise<string>;
  createUser(username: string): Promise<void>;
  deposit(username: string, billingName: string, amount: number): Promise<ApiResponse>;
  webhook(orderNumber: string, options?: { traceId?: string; status?: string }): Promise<ApiResponse>;
  balanceOf(username: string): Promise<number>;
  expectLedgerConsistent(): Promise<void>;
}

export interface HarnessOptions {
  /** A logger for the app and its jobs (the suite runs silent without one). */
  log?: FastifyBaseLogger;
  /** Extra environment; a function is read when the harness starts (for addresses known only then). */
  env?: Record<string, string> | ((database: TestDatabase) => Record<string, string>);
}

async function startHarness(testDb: TestDatabase, options: HarnessOptions): Promise<Harness> {
  const stub = await new PayactionStub().start();
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: testDb.url,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    AUTH_JWT_SECRET: JWT_SECRET,
    PAYACTION_API_KEY: stub.apiKey,
    PAYACTION_MALL_ID: stub.mallId,
    PAYACTION_WEBHOOK_KEY: WEBHOOK_KEY,
    PAYACTION_BASE_URL: stub.url,
    PAYACTION_TIMEOUT_MS: '1000',
    BANK_NAME: '국민은행',
    BANK_ACCOUNT: '11400204283485',
    BANK_HOLDER: '(주)테스트',
    // Suites fire thousands of requests from one address; the limits have their own suite.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_IP_PER_MINUTE: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
    ...(typeof options.env === 'function' ? options.env(testDb) : options.env),
  });
  const db = connect(config.databaseUrl, { poolSize: 20 });
  await migrateToLatest(db);
  const clock = new FakeClock();
  const metrics = metricsFor({ db });
  const payaction = instrumented(new HttpPayactionClient({ ...config.payaction, backoffBaseMs: 5 }), metrics);
  const { randomBytes } = await import('node:crypto');
  const deps: Deps = {
    config,
    db,
    clock,
    random: { bytes: (n) => randomBytes(n) },
    payaction,
    log: options.log,
    metrics,
    spool: new WebhookSpool(join(tmpdir(), `dg-spool-${randomBytes(6).toString('hex')}`)),
  };
  const app = await buildApp(deps, { logger: options.log });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const api: Harness['api'] = (method, path, opts) => sendApi(url, method, path, opts);

  const userToken: Harness['userToken'] = (username, o = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(username)
      .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresInS ?? 3600))
      .sign(new TextEncoder().encode(o.secret ?? JWT_SECRET));

  return {
    dialect: testDb.dialect,
    url,
    app,
    db,
    deps,
    clock,
    stub,
    config,
    api,
    userToken,
    async createUser(username) {
      const res = await api('POST', '/admin/users', { body: { username } });
      if (res.status !== 201)
        throw new Error(`creating ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    },
    deposit: (username, billingName, amount) =>
      api('POST', '/deposit-request', { body: { username, billing_name: billingName, amount } }),
    webhook: (orderNumber, o = {}) =>
      api('POST', '/webhook', {
        token: null,
        headers: {
          'x-webhook-key': WEBHOOK_KEY,
          'x-mall-id': stub.mallId,
          ...(o.traceId !== null
            ? { 'x-trace-id': o.traceId ?? `trace-${Math.random().toString(36).slice(2)}` }
            : {}),
        },
        body: {
          order_number: orderNumber,
          order_status: o.status ?? '매칭완료',
          processing_date: '2026-11-28 12:00:00',
        },
      }),
    async balanceOf(username) {
      const res = await api('GET', `/users/${username}`);
      return (res.body.user as { balance: number }).balance;
    },
    async expectLedgerConsistent() {
      const report = await verifyLedger(db);
      if (!report.ok) throw new Error(`ledger invariants broken: ${JSON.stringify(report)}`);
    },
  };
}

/**
 * Declares `body` once per available database. Each run gets its own database (created here and
 * dropped afterwards), its own Payaction stand-in and its own server on an ephemeral port.
 */
export function forEachDatabase(
  title: string,
  body: (h: () => Harness) => void,
  options: HarnessOptions = {},
) {
  for (const { dialect, available } of DIALECTS) {
    describe.skipIf(!available)(`${title} [${dialect}]`, () => {
      let testDb: TestDatabase | undefined;
      let harness: Harness | undefined;
      beforeAll(async () => {
        testDb = await createTestDatabase(dialect);
        harness = await startHarness(testDb, options);
      });
      afterAll(async () => {
        await harness?.app.close();
        await harness?.db.close();
        await harness?.stub.stop();
        await testDb?.drop();
      });
      body(() => {
        if (!harness) throw new Error('harness not started');
        return harness;
      });
    });
  }
}

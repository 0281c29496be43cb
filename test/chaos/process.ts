import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Child } from '../../bench/lib/child.js';
import { ROOT, type Secrets, startService } from '../../bench/lib/service.js';
import { connect, type Db } from '../../src/db/connect.js';
import { toBool, toSafeInt } from '../../src/db/values.js';
import type { OrderStatus } from '../../src/domain/order.js';
import { buildSandbox, type Sandbox } from '../../src/payaction/sandbox/sandbox.js';

/**
 * The service as a real process for the chaos runs, started the way the bench starts it, plus what
 * the runs need around it: a seeded generator, an HTTP client that records every answer and its
 * time, and a direct look at the database to compare with what was acknowledged.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * How the service is run. Spawning through tsx costs about a second more per start than the
 * compiled service, which matters for runs that restart it dozens of times; those compile `src/`
 * once into a directory of their own (removed by `remove`), so a concurrent bench build is left
 * alone and a clean checkout needs no prior build.
 */
export interface ServiceEntry {
  args: string[];
  remove(): void;
}

export function tsxEntry(): ServiceEntry {
  return { args: ['--import', 'tsx', join('src', 'main.ts')], remove: () => undefined };
}

export function compiledEntry(): ServiceEntry {
  // Inside the repository so that the compiled files resolve node_modules.
  const dir = join(
    ROOT,
    'node_modules',
    '.cache',
    `dg-chaos-${process.pid}-${randomBytes(3).toString('hex')}`,
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const main = join(dir, 'src', 'main.js');
  // Type errors elsewhere in the tree (caught by the type check of `npm test`) still emit code; only
  // a build that produced no entry point stops the run.
  if (!existsSync(main)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`compiling the service failed:\n${build.stdout}${build.stderr}`);
  }
  return { args: [main], remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServiceOptions {
  entry: ServiceEntry;
  databaseUrl: string;
  dataDir: string;
  payactionUrl: string;
  secrets: Secrets;
  env?: Record<string, string>;
}

/** `serve` on a free port, limits and background jobs off (as the bench runs it) unless `env` says otherwise. */
export function startServiceProcess(options: ServiceOptions): Promise<Child> {
  return startService({
    entry: options.entry.args,
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    payactionUrl: options.payactionUrl,
    secrets: options.secrets,
    env: options.env,
  });
}

/**
 * The project's Payaction stand-in on a free port: it keeps every registered order and its state
 * (pending, matched, excluded) and answers a repeated registration as a duplicate, as Payaction
 * does. Its webhooks are not used here.
 */
export async function startSandbox(secrets: Secrets): Promise<{ sandbox: Sandbox; url: string }> {
  const sandbox = buildSandbox({
    apiKey: secrets.apiKey,
    mallId: secrets.mallId,
    webhook: {
      url: 'http://127.0.0.1:9/unused',
      webhookKey: secrets.webhookKey,
      mallId: secrets.mallId,
      retryDelaysMs: [],
      timeoutMs: 1000,
    },
  });
  const url = await sandbox.app.listen({ host: '127.0.0.1', port: 0 });
  return { sandbox, url };
}

/** Polls `condition` until it holds; fails after `ms`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** SIGKILL: no handler runs, nothing is flushed; resolves once the process is gone. */
export async function killHard(child: Child): Promise<void> {
  if (!child.alive()) return;
  process.kill(child.pid, 'SIGKILL');
  while (child.alive()) await sleep(5);
}

/** Webhook deliveries waiting in the spool (the service's own layout: one `.json` file each). */
export function spooledFiles(dataDir: string): number {
  const dir = join(dataDir, 'webhook-spool');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).length;
}

/** Waits until the spool is empty; returns how long that took. */
export async function spoolDrained(dataDir: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (spooledFiles(dataDir) > 0) {
    if (Date.now() - started > withinMs) {
      throw new Error(`${spooledFiles(dataDir)} spooled webhooks still unapplied after ${withinMs} ms`);
    }
    await sleep(50);
  }
  return Date.now() - started;
}

export interface Answer {
  /** HTTP status, or 0 when no answer came (connection lost, refused, or the client gave up). */
  status: number;
  body: Record<string, unknown>;
  ms: number;
  error?: string;
}

export interface Caller {
  url: string;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  webhook(orderNumber: string, traceId: string): Promise<Answer>;
}

/**
 * Requests to one running service. `giveUpMs` bounds every call: a service that hangs shows up as
 * an answer with status 0 and the error `no answer within …` rather than as a stuck run.
 */
export function callerFor(url: string, secrets: Secrets, giveUpMs = 30_000): Caller {
  const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const started = performance.now();
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(giveUpMs),
      });
      const text = await res.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { unparsed: text };
      }
      return { status: res.status, body: parsed, ms: performance.now() - started };
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const error = timedOut ? `no answer within ${giveUpMs} ms` : String((err as Error).cause ?? err);
      return { status: 0, body: {}, ms: performance.now() - started, error };
    }
  };
  return {
    url,
    admin: (method, path, body, headers = {}) =>
      send(method, path, { authorization: `Bearer ${secrets.adminToken}`, ...headers }, body),
    webhook: (orderNumber, traceId) =>
      send(
        'POST',
        '/webhook',
        { 'x-webhook-key': secrets.webhookKey, 'x-mall-id': secrets.mallId, 'x-trace-id': traceId },
        { order_number: orderNumber, order_status: '매칭완료', processing_date: '2026-11-28 12:00:00' },
      ),
  };
}

/** One order as stored, with the number of ledger credits it carries. */
export interface StoredOrder {
  orderNumber: string;
  username: string;
  billingName: string;
  amount: number;
  status: OrderStatus;
  cancelReason: string | null;
  lateMatch: boolean;
  registered: boolean;
  credits: number;
}

/** Opens the database for one look and closes it again, so nothing is held across a crash. */
export async function withDb<T>(url: string, look: (db: Db) => Promise<T>): Promise<T> {
  const db = connect(url, { poolSize: 2 });
  try {
    return await look(db);
  } finally {
    await db.close();
  }
}

export async function storedOrders(db: Db): Promise<Map<string, StoredOrder>> {
  const credits = db.kysely
    .selectFrom('ledger_entries')
    .select((eb) => ['order_id', eb.fn.countAll().as('n')])
    .groupBy('order_id')
    .as('c');
  const rows = await db.kysely
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .leftJoin(credits, 'c.order_id', 'orders.id')
    .select([
      'orders.order_number',
      'users.username',
      'orders.billing_name',
      'orders.amount',
      'orders.status',
      'orders.cancel_reason',
      'orders.late_match',
      'orders.registered_at',
      'c.n',
    ])
    .execute();
  return new Map(
    rows.map((r) => [
      r.order_number,
      {
        orderNumber: r.order_number,
        username: r.username,
        billingName: r.billing_name,
        amount: toSafeInt(r.amount),
        status: r.status,
        cancelReason: r.cancel_reason,
        lateMatch: toBool(r.late_match),
        registered: r.registered_at !== null,
        credits: r.n === null ? 0 : toSafeInt(r.n),
      },
    ]),
  );
}

/** The largest value, 0 for none (answer times). */
export const maxOf = (values: readonly number[]): number => values.reduce((m, v) => Math.max(m, v), 0);

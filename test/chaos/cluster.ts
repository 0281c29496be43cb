import { buildApp } from '../../src/app.js';
import { connect, type Db } from '../../src/db/connect.js';
import { toSafeInt } from '../../src/db/values.js';
import type { Deps } from '../../src/deps.js';
import type { App } from '../../src/http/types.js';
import {
  type ApiResponse,
  type Harness,
  type RequestOptions,
  sendApi,
  WEBHOOK_KEY,
} from '../support/harness.js';
import type { Rng } from './rng.js';

/** Several servers on one database, as a deployment behind a load balancer runs them. */
export interface Node {
  readonly index: number;
  readonly url: string;
  /** The node's own dependencies: its own connection pool, the harness's clock and Payaction. */
  readonly deps: Deps;
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** A Payaction delivery; `traceId: null` sends none. */
  webhook(orderNumber: string, traceId: string | null, status?: string): Promise<ApiResponse>;
}

export interface Cluster {
  readonly nodes: readonly Node[];
  pick(rng: Rng): Node;
  close(): Promise<void>;
}

// Small pools: three instances per database must fit PostgreSQL's 100 connections next to the
// other suites sharing the server.
const EXTRA_POOL_SIZE = 8;
export const MATCHED = '매칭완료';

function nodeOf(index: number, url: string, deps: Deps, mallId: string): Node {
  const api: Node['api'] = (method, path, options) => sendApi(url, method, path, options);
  return {
    index,
    url,
    deps,
    api,
    webhook: (orderNumber, traceId, status = MATCHED) =>
      api('POST', '/webhook', {
        token: null,
        headers: {
          'x-webhook-key': WEBHOOK_KEY,
          'x-mall-id': mallId,
          ...(traceId !== null ? { 'x-trace-id': traceId } : {}),
        },
        body: { order_number: orderNumber, order_status: status, processing_date: '2026-11-28 12:00:00' },
      }),
  };
}

/**
 * The harness's server plus `size - 1` more on its database, each with its own pool. On SQLite the
 * cluster is the harness alone: better-sqlite3 waits for the file lock synchronously, so a second
 * writer in the same process blocks the instance holding the lock.
 */
export async function startCluster(h: Harness, size: number): Promise<Cluster> {
  const count = h.dialect === 'sqlite' ? 1 : size;
  const extras: { app: App; db: Db }[] = [];
  const nodes: Node[] = [nodeOf(0, h.url, h.deps, h.stub.mallId)];
  for (let i = 1; i < count; i++) {
    const db = connect(h.config.databaseUrl, { poolSize: EXTRA_POOL_SIZE });
    const deps: Deps = { ...h.deps, db };
    const app = await buildApp(deps);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    extras.push({ app, db });
    nodes.push(nodeOf(i, url, deps, h.stub.mallId));
  }
  return {
    nodes,
    pick: (rng) => rng.pick(nodes),
    async close() {
      for (const { app, db } of extras) {
        await app.close();
        await db.close();
      }
    },
  };
}

/** Runs `body`; a failure names the seed that reproduces it. */
export async function withSeed<T>(label: string, seed: number, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const hint = `${label}: reproduce with CHAOS_SEED=${seed}`;
    console.error(hint);
    if (err instanceof Error) {
      err.message = `${hint}\n${err.message}`;
      throw err;
    }
    throw new Error(`${hint}: ${String(err)}`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ledger rows per order number, read from the database: what was really credited. */
export async function creditsByOrder(h: Harness): Promise<Map<string, { count: number; amount: number }>> {
  const rows = await h.db.kysely
    .selectFrom('ledger_entries')
    .innerJoin('orders', 'orders.id', 'ledger_entries.order_id')
    .select((eb) => [
      'orders.order_number',
      eb.fn.countAll().as('n'),
      eb.fn.sum('ledger_entries.amount').as('total'),
    ])
    .groupBy('orders.order_number')
    .execute();
  return new Map(rows.map((r) => [r.order_number, { count: toSafeInt(r.n), amount: toSafeInt(r.total) }]));
}

/** Every row of a list endpoint, following `next_cursor`; fails on any answer but 200. */
export async function listAll<T>(node: Node, path: string, field: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await node.api('GET', `${path}${sep}limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...(res.body[field] as T[]));
    cursor = res.body.next_cursor as string | null;
    if (cursor === null) return out;
  }
  throw new Error(`GET ${path}: paging does not end`);
}

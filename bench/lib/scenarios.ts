import type { Db } from '../../src/db/connect.js';
import type { RequestSpec } from './load.js';
import { HISTORY_SPACING_MS, seededOrderNumber, seedOrders, seedUsers } from './seed.js';
import { MAX_PENDING_PER_USER, type Secrets } from './service.js';
import { mintUserTokens } from './tokens.js';

export const ENDPOINTS = ['deposit-request', 'webhook', 'transaction-history', 'admin-transactions'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface Scenario {
  endpoint: Endpoint;
  connections: number;
  payactionLatencyMs: number;
}

export const scenarioName = (s: Scenario) =>
  `${s.endpoint}@${s.connections}${s.payactionLatencyMs > 0 ? `+payaction${s.payactionLatencyMs}ms` : ''}`;

/** Every endpoint at each connection count, then deposit-request at 256 connections with 50 ms Payaction. */
export function scenarios(connections: number[], slowPayaction: boolean): Scenario[] {
  const all: Scenario[] = ENDPOINTS.flatMap((endpoint) =>
    connections.map((c) => ({ endpoint, connections: c, payactionLatencyMs: 0 })),
  );
  if (slowPayaction) all.push({ endpoint: 'deposit-request', connections: 256, payactionLatencyMs: 50 });
  return all;
}

/** Users of every scenario; deposit-request gets more when a run is long enough to need them. */
export const USERS = 100;
/** Orders per user for the read scenarios (history mix: most matched or completed). */
const READ_ORDERS_PER_USER = 100;
/**
 * Requests per second the prepared data must last for: webhook orders (a faster run stops early,
 * marked exhausted), and deposit users, each of whom may hold MAX_PENDING_PER_USER pending orders.
 */
const RATE_CEILING = 15_000;

export interface Prepared {
  next: () => RequestSpec | undefined;
  /** Orders prepared for webhooks (each webhook matches a distinct one). */
  webhookOrders?: number;
}

export interface PrepareContext {
  db: Db;
  secrets: Secrets;
  /** Seconds of load the data must last for (warm-up and measurement). */
  loadS: number;
  idempotency: boolean;
}

const json = { 'content-type': 'application/json' };

/** What the request generators need: the floor server gets the same requests as the service. */
export type RequestContext = Pick<PrepareContext, 'secrets' | 'idempotency'>;

export async function depositRequests(ctx: RequestContext, users: string[]): Promise<Prepared['next']> {
  const tokens = await mintUserTokens(ctx.secrets.jwtSecret, users);
  const auth = users.map((u) => `Bearer ${tokens.get(u)}`);
  let i = 0;
  return () => {
    const k = i++;
    const u = k % users.length;
    // Unique name per request: pending keys (name|amount) never collide, every request creates an order.
    const body = JSON.stringify({
      username: users[u],
      billing_name: `홍길동${k.toString(36)}`,
      amount: 1000 + (k % 9000) * 10,
    });
    const headers: Record<string, string> = { ...json, authorization: auth[u] ?? '' };
    if (ctx.idempotency) headers['idempotency-key'] = `bench-${k}`;
    return { method: 'POST', path: '/deposit-request', headers, body };
  };
}

export function webhookRequests(ctx: RequestContext, orders: number): Prepared['next'] {
  const headers = { ...json, 'x-webhook-key': ctx.secrets.webhookKey, 'x-mall-id': ctx.secrets.mallId };
  let i = 0;
  return () => {
    if (i >= orders) return undefined;
    const k = i++;
    const body = JSON.stringify({
      order_number: seededOrderNumber(k),
      order_status: '매칭완료',
      processing_date: '2026-01-01 12:00:00',
    });
    return {
      method: 'POST',
      path: '/webhook',
      headers: { ...headers, 'x-trace-id': `bench-trace-${k}` },
      body,
    };
  };
}

/** Seeds what the scenario reads or writes and returns its request generator. */
export async function prepare(endpoint: Endpoint, ctx: PrepareContext): Promise<Prepared> {
  const nowMs = Date.now();
  const depositUsers = Math.ceil((ctx.loadS * RATE_CEILING) / MAX_PENDING_PER_USER);
  const users = await seedUsers(
    ctx.db,
    endpoint === 'deposit-request' ? Math.max(USERS, depositUsers) : USERS,
    nowMs,
  );
  const names = users.map((u) => u.username);
  if (endpoint === 'deposit-request') return { next: await depositRequests(ctx, names) };
  if (endpoint === 'webhook') {
    const count = Math.max(2000, Math.ceil(ctx.loadS * RATE_CEILING));
    await seedOrders(ctx.db, {
      users,
      from: 0,
      count,
      mix: 'pending',
      baseMs: nowMs - count,
      spacingMs: 1,
      nowMs,
    });
    return { next: webhookRequests(ctx, count), webhookOrders: count };
  }
  const count = USERS * READ_ORDERS_PER_USER;
  const baseMs = nowMs - count * HISTORY_SPACING_MS;
  await seedOrders(ctx.db, {
    users,
    from: 0,
    count,
    mix: 'history',
    baseMs,
    spacingMs: HISTORY_SPACING_MS,
    nowMs,
  });
  if (endpoint === 'admin-transactions') {
    const headers = { authorization: `Bearer ${ctx.secrets.adminToken}` };
    return { next: () => ({ method: 'GET', path: '/admin/transactions?limit=50', headers }) };
  }
  return { next: await historyRequests(ctx, names) };
}

export async function historyRequests(ctx: RequestContext, users: string[]): Promise<Prepared['next']> {
  const tokens = await mintUserTokens(ctx.secrets.jwtSecret, users);
  let i = 0;
  return () => {
    const u = users[i++ % users.length] ?? '';
    const headers = { authorization: `Bearer ${tokens.get(u)}` };
    return { method: 'GET', path: `/transaction-history/${u}?limit=20`, headers };
  };
}

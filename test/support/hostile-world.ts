import { SignJWT } from 'jose';
import { ADMIN_TOKEN, type Harness, JWT_SECRET, WEBHOOK_KEY } from './harness.js';
import { encodeText, percentEncode } from './hostile.js';
import type { AuthSpec, Forgery, HostileCase, Ref, Segment, Slot, WebhookAuth } from './hostile-types.js';
import { ENDPOINTS } from './hostile-types.js';
import { headBytes, type RawRequest, type RawResponse } from './raw-http.js';

/** What the run has seen: users and orders that generated requests refer to by a pick. */
export class World {
  readonly users: string[] = ['alice', 'bob', 'carol.d', 'e@x-y_z', 'u'.repeat(64)];
  readonly orders: { orderNumber: string; owner: string }[] = [];
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(private readonly h: Harness) {}

  user(pick: number): string {
    return this.users[pick % this.users.length] ?? 'alice';
  }

  order(pick: number, recent: boolean): { orderNumber: string; owner: string } {
    const n = this.orders.length;
    if (n === 0) return { orderNumber: '0000000000NOORDER000', owner: 'alice' };
    const index = recent ? n - 1 - (pick % Math.min(n, 6)) : pick % n;
    return this.orders[index] ?? { orderNumber: '0000000000NOORDER000', owner: 'alice' };
  }

  private sign(key: string, make: () => Promise<string>): Promise<string> {
    let token = this.tokens.get(key);
    if (!token) {
      token = make();
      this.tokens.set(key, token);
    }
    return token;
  }

  userToken(username: string): Promise<string> {
    return this.sign(`user:${username}`, () => this.h.userToken(username));
  }

  expiredToken(username: string): Promise<string> {
    return this.sign(`expired:${username}`, () => this.h.userToken(username, { expiresInS: -3600 }));
  }

  forgedToken(username: string, how: Forgery): Promise<string> {
    return this.sign(`${how}:${username}`, () => forge(username, how, this.userToken(username)));
  }

  /** Remembers what a successful request created, so that later requests can refer to it. */
  async learn(body: Record<string, unknown>): Promise<void> {
    const orderNumber = body.order_number;
    if (typeof orderNumber === 'string' && !this.orders.some((o) => o.orderNumber === orderNumber)) {
      const row = await this.h.db.kysely
        .selectFrom('orders')
        .innerJoin('users', 'users.id', 'orders.user_id')
        .select('users.username')
        .where('orders.order_number', '=', orderNumber)
        .executeTakeFirst();
      if (row) this.orders.push({ orderNumber, owner: row.username });
    }
    const user = body.user as { username?: unknown } | undefined;
    if (typeof user?.username === 'string' && !this.users.includes(user.username))
      this.users.push(user.username);
  }
}

const key = new TextEncoder().encode(JWT_SECRET);
const exp = () => Math.floor(Date.now() / 1000) + 3600;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function forge(username: string, how: Forgery, genuine: Promise<string>): Promise<string> {
  switch (how) {
    case 'bad-signature':
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(username)
        .setExpirationTime(exp())
        .sign(new TextEncoder().encode(`${JWT_SECRET}-not`));
    case 'alg-none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: username, exp: exp() })}.`;
    case 'hs512':
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS512' })
        .setSubject(username)
        .setExpirationTime(exp())
        .sign(key);
    case 'no-exp':
      return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(username).sign(key);
    case 'no-sub':
      return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp()).sign(key);
    case 'sub-invalid':
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('../admin')
        .setExpirationTime(exp())
        .sign(key);
    case 'tampered': {
      const [header, , signature] = (await genuine).split('.');
      return `${header}.${b64({ sub: 'admin', exp: exp() })}.${signature}`;
    }
  }
}

/** Which credential a case carries, as the server should see it. */
export type Credential = 'admin' | 'user' | 'none';

export interface Resolved {
  request: RawRequest;
  credential: Credential;
  webhookValid: boolean;
}

function webhookHeaders(how: WebhookAuth, mallId: string): Record<string, string | string[]> {
  switch (how) {
    case 'valid':
      return { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': mallId };
    case 'none':
      return {};
    case 'wrong-key':
      return { 'x-webhook-key': `${WEBHOOK_KEY}x`, 'x-mall-id': mallId };
    case 'wrong-mall':
      return { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': `${mallId}x` };
    case 'key-only':
      return { 'x-webhook-key': WEBHOOK_KEY };
    case 'case':
      return { 'x-webhook-key': WEBHOOK_KEY.toUpperCase(), 'x-mall-id': mallId.toUpperCase() };
    case 'duplicate':
      return { 'x-webhook-key': [WEBHOOK_KEY, WEBHOOK_KEY], 'x-mall-id': mallId };
  }
}

/** Turns a generated case into bytes, given what the run has seen so far. */
export async function resolve(world: World, mallId: string, c: HostileCase): Promise<Resolved> {
  let owner: string | undefined;
  const refText = (r: Ref): string => {
    if (r.t === 'user') {
      const name = world.user(r.pick);
      owner ??= name;
      return name;
    }
    const order = world.order(r.pick, r.recent);
    owner ??= order.owner;
    return order.orderNumber;
  };
  const slotText = (s: Slot) => (s.t === 'json' ? s.text : JSON.stringify(refText(s.ref)));
  const segmentText = (s: Segment | null) =>
    s === null ? '' : s.t === 'raw' ? s.raw : percentEncode(refText(s.ref));

  const seg = segmentText(c.segment);
  const paths: Record<HostileCase['endpoint'], string> = {
    deposit: '/deposit-request',
    cancel: '/cancel-order',
    history: `/transaction-history/${seg}`,
    adminTransactions: '/admin/transactions',
    user: `/users/${seg}`,
    createUser: '/admin/users',
    listUsers: '/admin/users',
    patchUser: `/admin/users/${seg}`,
    adminOrders: '/admin/orders',
    complete: `/admin/orders/${seg}/complete`,
    match: `/admin/orders/${seg}/match`,
    summary: '/admin/summary',
    webhook: '/webhook',
  };
  let bodyText: string | undefined;
  if (c.body.t === 'raw') bodyText = c.body.text;
  if (c.body.t === 'object') bodyText = `{${c.body.pairs.map(([k, v]) => `${k}:${slotText(v)}`).join(',')}}`;

  const target = owner ?? 'alice';
  const headers: Record<string, string | string[]> = { ...webhookHeaders(c.webhook, mallId) };
  const { authorization, credential } = await authorizationFor(world, c.auth, target);
  if (authorization !== undefined) headers.authorization = authorization;
  if (c.traceId !== null) headers['x-trace-id'] = c.traceId;
  if (c.contentType !== null && bodyText !== undefined) headers['content-type'] = c.contentType;
  if (c.idempotencyKey !== null) headers['idempotency-key'] = c.idempotencyKey;
  for (const [name, value] of c.extraHeaders) headers[name] = value;
  return {
    request: {
      method: c.method,
      path: `${paths[c.endpoint]}${c.query ? `?${c.query}` : ''}`,
      headers,
      body: bodyText === undefined ? undefined : encodeText(bodyText, c.encoding),
    },
    credential,
    webhookValid: c.webhook === 'valid' && !c.extraHeaders.some(([n]) => n === 'x-mall-id'),
  };
}

async function authorizationFor(
  world: World,
  auth: AuthSpec,
  target: string,
): Promise<{ authorization?: string; credential: Credential }> {
  switch (auth.t) {
    case 'none':
      return { credential: 'none' };
    case 'admin':
      return { authorization: `Bearer ${ADMIN_TOKEN}`, credential: 'admin' };
    case 'owner':
      return { authorization: `Bearer ${await world.userToken(target)}`, credential: 'user' };
    case 'user':
      return { authorization: `Bearer ${await world.userToken(world.user(auth.pick))}`, credential: 'user' };
    case 'expired':
      return { authorization: `Bearer ${await world.expiredToken(target)}`, credential: 'none' };
    case 'forged':
      return { authorization: `Bearer ${await world.forgedToken(target, auth.how)}`, credential: 'none' };
    case 'header': {
      const jwt = await world.userToken(target);
      const value = auth.value
        .replaceAll('<admin-prefix>', ADMIN_TOKEN.slice(0, -1))
        .replaceAll('<admin>', ADMIN_TOKEN)
        .replaceAll('<jwt-prefix>', jwt.slice(0, -2))
        .replaceAll('<jwt>', jwt);
      return { authorization: value, credential: 'none' };
    }
  }
}

const SNAKE_CASE = /^[a-z]+(_[a-z]+)*$/;
const LEAK = /\bat .+:\d+:\d+|SELECT |INSERT |UPDATE |sqlite|mysql|postgres|FST_ERR|Error:/i;
const NODE_HEADER_LIMIT = 16 * 1024;

/** What is wrong with an answer, or undefined: status, JSON shape, and who may get a success. */
export function problemWith(
  c: HostileCase,
  resolved: Resolved,
  res: RawResponse,
):
  | { problem: string; body?: Record<string, unknown> }
  | { problem: undefined; body: Record<string, unknown> } {
  if (res.status === 431 && headBytes(resolved.request) < NODE_HEADER_LIMIT - 1024)
    return { problem: 'headers refused as too large below the limit' };
  if (res.status >= 500) return { problem: `server error ${res.status}` };
  if (!res.contentType.startsWith('application/json')) return { problem: `content-type ${res.contentType}` };
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return { problem: 'body is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { problem: 'body is not an object' };
  const b = body as Record<string, unknown>;
  const ok = res.status >= 200 && res.status < 300;
  if (ok && (b.status !== 'success' || (res.status !== 200 && res.status !== 201)))
    return { problem: 'success without "status":"success"', body: b };
  if (!ok) {
    if (res.status < 400) return { problem: `unexpected status ${res.status}`, body: b };
    if (b.status !== 'fail') return { problem: 'failure without "status":"fail"', body: b };
    if (typeof b.msg !== 'string' || b.msg === '') return { problem: 'failure without msg', body: b };
    if (typeof b.code !== 'string' || !SNAKE_CASE.test(b.code))
      return { problem: 'failure without code', body: b };
    if (LEAK.test(res.text)) return { problem: 'failure leaks internals', body: b };
  }
  if (ok) {
    const access = ENDPOINTS[c.endpoint].access;
    if (access === 'webhook' && !resolved.webhookValid)
      return { problem: 'webhook accepted without its key', body: b };
    if (access === 'admin' && resolved.credential !== 'admin')
      return { problem: 'admin route without admin', body: b };
    if (access === 'user' && resolved.credential === 'none')
      return { problem: 'user route without a token', body: b };
  }
  return { problem: undefined, body: b };
}

/** A short, printable account of a request, for failure messages. */
export function describeRequest(r: RawRequest): string {
  const headers = Object.entries(r.headers)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 120)}${String(v).length > 120 ? '…' : ''}`)
    .join('\n  ');
  const body = r.body === undefined ? '' : r.body.toString('utf8');
  return `${r.method} ${r.path.slice(0, 300)}\n  ${headers}\n  body (${r.body?.length ?? 0} bytes): ${body.slice(0, 400)}`;
}

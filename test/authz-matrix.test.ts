import { expect, it } from 'vitest';
import { fingerprint } from './support/fingerprint.js';
import { ADMIN_TOKEN, forEachDatabase, type Harness, WEBHOOK_KEY } from './support/harness.js';

/**
 * Who may call what: every endpoint × every kind of credential, each request otherwise valid, so
 * that the status reflects authorization alone. A refused request must leave everything as it was;
 * an accepted one that writes must really have written (so the "unchanged" check can tell).
 */
const WHO = ['none', 'other', 'own', 'admin', 'expired'] as const;
type Who = (typeof WHO)[number];
const LABELS: Record<Who, string> = {
  none: 'no token',
  other: "another user's token",
  own: 'own token',
  admin: 'admin token',
  expired: 'an expired token',
};

// biome-ignore format: the matrix reads best as a table
const MATRIX: [endpoint: string, none: number, other: number, own: number, admin: number, expired: number][] = [
  //                                          none other own admin expired
  ['POST /deposit-request',                     401, 403, 200, 200, 401],
  ['POST /cancel-order',                        401, 404, 200, 200, 401],
  ['GET /transaction-history/:username',        401, 403, 200, 200, 401],
  ['GET /users/:username',                      401, 403, 200, 200, 401],
  ['GET /admin/transactions',                   401, 403, 403, 200, 401],
  ['POST /admin/users',                         401, 403, 403, 201, 401],
  ['GET /admin/users',                          401, 403, 403, 200, 401],
  ['PATCH /admin/users/:username',              401, 403, 403, 200, 401],
  ['GET /admin/orders',                         401, 403, 403, 200, 401],
  ['POST /admin/orders/:order_number/complete', 401, 403, 403, 200, 401],
  ['POST /admin/orders/:order_number/match',    401, 403, 403, 200, 401],
  ['GET /admin/summary',                        401, 403, 403, 200, 401],
  // Bearer tokens mean nothing to the webhook: Payaction's headers decide.
  ['POST /webhook',                             401, 401, 401, 401, 401],
  ['POST /webhook + Payaction headers',         200, 200, 200, 200, 200],
];

const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'order_not_found' };

/** Fresh users (and orders) for one cell, so that no cell depends on another's effects. */
interface Fixture {
  owner: string;
  other: string;
  n: number;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Whether a success must change the state. */
  writes: boolean;
}

async function pendingOrder(h: Harness, f: Fixture): Promise<string> {
  const res = await h.deposit(f.owner, '권한검사', 100_000 + f.n);
  if (res.status !== 200) throw new Error(`fixture deposit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.order_number as string;
}

async function matchedOrder(h: Harness, f: Fixture): Promise<string> {
  const number = await pendingOrder(h, f);
  const res = await h.webhook(number);
  if (res.status !== 200) throw new Error(`fixture webhook: ${res.status}`);
  return number;
}

const payactionHeaders = (h: Harness) => ({
  'x-webhook-key': WEBHOOK_KEY,
  'x-mall-id': h.stub.mallId,
  'x-trace-id': `authz-${Math.random().toString(36).slice(2)}`,
});

const CALLS: Record<string, (h: Harness, f: Fixture) => Promise<Call>> = {
  'POST /deposit-request': async (_h, f) => ({
    method: 'POST',
    path: '/deposit-request',
    body: { username: f.owner, billing_name: '권한검사', amount: 200_000 + f.n },
    writes: true,
  }),
  'POST /cancel-order': async (h, f) => ({
    method: 'POST',
    path: '/cancel-order',
    body: { order_number: await pendingOrder(h, f) },
    writes: true,
  }),
  'GET /transaction-history/:username': async (_h, f) => ({
    method: 'GET',
    path: `/transaction-history/${f.owner}`,
    writes: false,
  }),
  'GET /users/:username': async (_h, f) => ({ method: 'GET', path: `/users/${f.owner}`, writes: false }),
  'GET /admin/transactions': async () => ({ method: 'GET', path: '/admin/transactions', writes: false }),
  'POST /admin/users': async (_h, f) => ({
    method: 'POST',
    path: '/admin/users',
    body: { username: `new_${f.n}` },
    writes: true,
  }),
  'GET /admin/users': async () => ({ method: 'GET', path: '/admin/users', writes: false }),
  'PATCH /admin/users/:username': async (_h, f) => ({
    method: 'PATCH',
    path: `/admin/users/${f.owner}`,
    body: { wallet_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' },
    writes: true,
  }),
  'GET /admin/orders': async () => ({ method: 'GET', path: '/admin/orders', writes: false }),
  'POST /admin/orders/:order_number/complete': async (h, f) => ({
    method: 'POST',
    path: `/admin/orders/${await matchedOrder(h, f)}/complete`,
    body: { memo: '지급 완료' },
    writes: true,
  }),
  'POST /admin/orders/:order_number/match': async (h, f) => ({
    method: 'POST',
    path: `/admin/orders/${await pendingOrder(h, f)}/match`,
    body: { reason: '통장 확인' },
    writes: true,
  }),
  'GET /admin/summary': async () => ({ method: 'GET', path: '/admin/summary', writes: false }),
  'POST /webhook': async (h, f) => ({
    method: 'POST',
    path: '/webhook',
    body: { order_number: await pendingOrder(h, f), order_status: '매칭완료' },
    writes: true,
  }),
  'POST /webhook + Payaction headers': async (h, f) => ({
    method: 'POST',
    path: '/webhook',
    body: { order_number: await pendingOrder(h, f), order_status: '매칭완료' },
    headers: payactionHeaders(h),
    writes: true,
  }),
};

async function tokenFor(h: Harness, who: Who, f: Fixture): Promise<string | null> {
  switch (who) {
    case 'none':
      return null;
    case 'other':
      return h.userToken(f.other);
    case 'own':
      return h.userToken(f.owner);
    case 'admin':
      return ADMIN_TOKEN;
    case 'expired':
      // Past the 60 s clock skew the server allows.
      return h.userToken(f.owner, { expiresInS: -3600 });
  }
}

forEachDatabase('authorization matrix', (h) => {
  let cells = 0;

  it('covers every endpoint', () => {
    expect(MATRIX.map(([endpoint]) => endpoint).sort()).toEqual(Object.keys(CALLS).sort());
  });

  for (const [endpoint, ...statuses] of MATRIX) {
    WHO.forEach((who, i) => {
      const expected = statuses[i] as number;
      it(`${endpoint} with ${LABELS[who]} → ${expected}`, async () => {
        const n = ++cells;
        const f: Fixture = { owner: `owner_${n}`, other: `other_${n}`, n };
        await h().createUser(f.owner);
        await h().createUser(f.other);
        const call = await CALLS[endpoint]?.(h(), f);
        if (!call) throw new Error(`no request for ${endpoint}`);
        const token = await tokenFor(h(), who, f);

        h().clock.advance(1000);
        const before = await fingerprint(h());
        const res = await h().api(call.method, call.path, { token, body: call.body, headers: call.headers });
        const after = await fingerprint(h());

        expect({ status: res.status, body: res.body }).toMatchObject({
          status: expected,
          body: { status: expected < 400 ? 'success' : 'fail' },
        });
        if (expected >= 400) {
          expect(res.body.code).toBe(CODES[expected]);
          expect(after).toBe(before);
        } else if (call.writes) {
          expect(after).not.toBe(before);
        } else {
          expect(after).toBe(before);
        }
        await h().expectLedgerConsistent();
      });
    });
  }
});

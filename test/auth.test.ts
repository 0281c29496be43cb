import { type JWTPayload, SignJWT } from 'jose';
import { expect, it } from 'vitest';
import { expectFail, ordersOf, withoutChanges } from './support/checks.js';
import { ADMIN_TOKEN, forEachDatabase, type Harness, JWT_SECRET, WEBHOOK_KEY } from './support/harness.js';

/**
 * Authentication and authorization (SPEC.md, "Authentication"): the admin token may do everything;
 * a user token is an HS256 JWT with `sub` and `exp` (60 s skew) that acts only for its own
 * username; the webhook is authenticated by Payaction's headers. Every refused request changes
 * nothing, and every refused credential is shown to work once it is made right.
 */

const A = 'auth_a';
const B = 'auth_b';
const C = 'auth_c';
const VALID_TRON = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

const nowS = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const key = (secret: string) => new TextEncoder().encode(secret);

function sign(claims: JWTPayload, alg = 'HS256', secret = JWT_SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key(secret));
}

/** Authorization header values that must all be refused with 401 (the token's subject is A). */
const BAD_CREDENTIALS: { label: string; header: () => Promise<string | null> }[] = [
  { label: 'no Authorization header', header: async () => null },
  { label: 'an empty Bearer', header: async () => 'Bearer ' },
  { label: 'the admin token without a scheme', header: async () => ADMIN_TOKEN },
  { label: 'the admin token as Basic credentials', header: async () => `Basic ${ADMIN_TOKEN}` },
  { label: 'the admin token under another scheme', header: async () => `Token ${ADMIN_TOKEN}` },
  { label: 'the admin token with a trailing word', header: async () => `Bearer ${ADMIN_TOKEN} extra` },
  { label: 'the admin token plus one character', header: async () => `Bearer ${ADMIN_TOKEN}x` },
  { label: 'the admin token minus one character', header: async () => `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
  { label: 'a junk JWT', header: async () => 'Bearer abc.def.ghi' },
  {
    label: 'a JWT signed with another secret',
    header: async () =>
      `Bearer ${await sign({ sub: A, exp: nowS() + 3600 }, 'HS256', `${JWT_SECRET}-other`)}`,
  },
  {
    label: 'a JWT signed with the admin token as secret',
    header: async () => `Bearer ${await sign({ sub: A, exp: nowS() + 3600 }, 'HS256', ADMIN_TOKEN)}`,
  },
  {
    label: 'a JWT whose signature was removed',
    header: async () => {
      const [head, body] = (await sign({ sub: A, exp: nowS() + 3600 })).split('.');
      return `Bearer ${head}.${body}.`;
    },
  },
  {
    label: 'a JWT whose payload was changed after signing',
    header: async () => {
      const [head, , signature] = (await sign({ sub: B, exp: nowS() + 3600 })).split('.');
      return `Bearer ${head}.${b64url({ sub: A, exp: nowS() + 3600 })}.${signature}`;
    },
  },
  {
    label: 'a JWT expired 120 s ago (beyond the 60 s skew)',
    header: async () => `Bearer ${await sign({ sub: A, exp: nowS() - 120 })}`,
  },
  {
    label: 'an alg:none JWT',
    header: async () =>
      `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: A, exp: nowS() + 3600 })}.`,
  },
  {
    label: 'an HS512 JWT signed with the right secret',
    header: async () => `Bearer ${await sign({ sub: A, exp: nowS() + 3600 }, 'HS512')}`,
  },
  {
    label: 'an HS384 JWT signed with the right secret',
    header: async () => `Bearer ${await sign({ sub: A, exp: nowS() + 3600 }, 'HS384')}`,
  },
  { label: 'a JWT without exp', header: async () => `Bearer ${await sign({ sub: A })}` },
  {
    label: 'a JWT whose exp is a string',
    header: async () => `Bearer ${await sign({ sub: A, exp: String(nowS() + 3600) as unknown as number })}`,
  },
  { label: 'a JWT without sub', header: async () => `Bearer ${await sign({ exp: nowS() + 3600 })}` },
  {
    label: 'a JWT whose sub is not a username',
    header: async () => `Bearer ${await sign({ sub: '../auth_a', exp: nowS() + 3600 })}`,
  },
];

interface Route {
  label: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: () => string;
  body?: () => unknown;
  admin: boolean;
}

/** The orders the routes act on: A's and B's pending orders, C's matched one. */
const orders = { a: '', b: '', matched: '' };

const ROUTES: Route[] = [
  {
    label: 'POST /deposit-request',
    method: 'POST',
    path: () => '/deposit-request',
    body: () => ({ username: A, billing_name: '인증검사', amount: 11000 }),
    admin: false,
  },
  {
    label: 'POST /cancel-order',
    method: 'POST',
    path: () => '/cancel-order',
    body: () => ({ order_number: orders.a }),
    admin: false,
  },
  {
    label: 'GET /transaction-history/:username',
    method: 'GET',
    path: () => `/transaction-history/${A}`,
    admin: false,
  },
  { label: 'GET /users/:username', method: 'GET', path: () => `/users/${A}`, admin: false },
  { label: 'GET /admin/transactions', method: 'GET', path: () => '/admin/transactions', admin: true },
  { label: 'GET /admin/orders', method: 'GET', path: () => '/admin/orders', admin: true },
  { label: 'GET /admin/users', method: 'GET', path: () => '/admin/users', admin: true },
  { label: 'GET /admin/summary', method: 'GET', path: () => '/admin/summary', admin: true },
  {
    label: 'POST /admin/users',
    method: 'POST',
    path: () => '/admin/users',
    body: () => ({ username: 'auth_new' }),
    admin: true,
  },
  {
    label: 'PATCH /admin/users/:username',
    method: 'PATCH',
    path: () => `/admin/users/${A}`,
    body: () => ({ wallet_address: VALID_TRON }),
    admin: true,
  },
  {
    label: 'POST /admin/orders/:order_number/complete',
    method: 'POST',
    path: () => `/admin/orders/${orders.matched}/complete`,
    body: () => ({ memo: '인증' }),
    admin: true,
  },
  {
    label: 'POST /admin/orders/:order_number/match',
    method: 'POST',
    path: () => `/admin/orders/${orders.b}/match`,
    body: () => ({ reason: '인증' }),
    admin: true,
  },
];

function call(h: Harness, route: Route, authorization: string | null) {
  return h.api(route.method, route.path(), {
    token: null,
    body: route.body?.(),
    headers: authorization === null ? {} : { authorization },
  });
}

forEachDatabase('authentication and authorization', (h) => {
  it('creates users A, B, C with a pending order each; C’s is matched', async () => {
    for (const u of [A, B, C]) await h().createUser(u);
    orders.a = (await h().deposit(A, '에이', 10000)).body.order_number as string;
    orders.b = (await h().deposit(B, '비이', 20000)).body.order_number as string;
    orders.matched = (await h().deposit(C, '씨이', 30000)).body.order_number as string;
    expect((await h().webhook(orders.matched)).status).toBe(200);
    expect(await h().balanceOf(C)).toBe(30000);
  });

  for (const route of ROUTES) {
    it.each(BAD_CREDENTIALS)(`${route.label}: $label → 401, nothing changes`, async ({ header }) => {
      const authorization = await header();
      const res = await withoutChanges(h(), () => call(h(), route, authorization));
      expectFail(res, 401, 'unauthorized');
    });
  }

  it('accepts a user token that expired only 30 s ago (within the 60 s skew)', async () => {
    const token = await h().userToken(A, { expiresInS: -30 });
    const res = await h().api('GET', `/users/${A}`, { token });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: A });
  });

  it('lets a user token act for its own username', async () => {
    const token = await h().userToken(A);
    expect((await h().api('GET', `/users/${A}`, { token })).status).toBe(200);
    expect((await h().api('GET', `/transaction-history/${A}`, { token })).status).toBe(200);
    const created = await h().api('POST', '/deposit-request', {
      token,
      body: { username: A, billing_name: '본인', amount: 10500 },
    });
    expect(created.status).toBe(200);
    const cancelled = await h().api('POST', '/cancel-order', {
      token,
      body: { order_number: created.body.order_number },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
  });

  for (const route of ROUTES.filter((r) => r.admin)) {
    it(`${route.label}: a user token → 403, nothing changes`, async () => {
      const res = await withoutChanges(h(), async () => call(h(), route, `Bearer ${await h().userToken(A)}`));
      expectFail(res, 403, 'forbidden');
    });
  }

  it.each([
    { label: 'GET /users/:username', method: 'GET', path: `/users/${B}` },
    { label: 'GET /transaction-history/:username', method: 'GET', path: `/transaction-history/${B}` },
    {
      label: 'POST /deposit-request',
      method: 'POST',
      path: '/deposit-request',
      body: { username: B, billing_name: '남의것', amount: 13000 },
    },
  ])('$label for another user’s username → 403, nothing changes', async ({ method, path, body }) => {
    const token = await h().userToken(A);
    const res = await withoutChanges(h(), () => h().api(method, path, { token, body }));
    expectFail(res, 403, 'forbidden');
  });

  it('POST /cancel-order on another user’s order → 404, the order stays pending', async () => {
    const token = await h().userToken(A);
    const res = await withoutChanges(h(), () =>
      h().api('POST', '/cancel-order', { token, body: { order_number: orders.b } }),
    );
    expectFail(res, 404, 'order_not_found');
    const unknown = await h().api('POST', '/cancel-order', {
      token,
      body: { order_number: 'ZZZZZZZZZZZZZZZZZZZZ' },
    });
    expect(unknown.body).toEqual(res.body);
    expect(
      h()
        .stub.callsTo('/order-exclude')
        .some((c) => c.body.order_number === orders.b),
    ).toBe(false);
    expect((await ordersOf(h(), B)).map((o) => o.status)).toEqual(['대기중']);
  });

  it('lets the admin token do everything', async () => {
    for (const route of ROUTES) {
      const res = await call(h(), route, `Bearer ${ADMIN_TOKEN}`);
      expect({ route: route.label, status: res.status }).toEqual({
        route: route.label,
        status: route.label === 'POST /admin/users' ? 201 : 200,
      });
      expect(res.body.status).toBe('success');
    }
    expect((await ordersOf(h(), A)).find((o) => o.order_number === orders.a)?.status).toBe('취소됨');
    expect((await ordersOf(h(), C)).map((o) => o.status)).toEqual(['완료']);
    expect(await h().balanceOf(B)).toBe(20000);
    const user = await h().api('GET', `/users/${A}`);
    expect(user.body.user).toMatchObject({ wallet_address: VALID_TRON });
    await h().expectLedgerConsistent();
  });
});

/** Payaction's headers; each entry is refused with 401. */
const BAD_WEBHOOK_HEADERS: { label: string; headers: (mallId: string) => Record<string, string> }[] = [
  { label: 'no headers', headers: () => ({}) },
  { label: 'only x-webhook-key', headers: () => ({ 'x-webhook-key': WEBHOOK_KEY }) },
  { label: 'only x-mall-id', headers: (mall) => ({ 'x-mall-id': mall }) },
  {
    label: 'a wrong x-webhook-key',
    headers: (mall) => ({ 'x-webhook-key': `${WEBHOOK_KEY}x`, 'x-mall-id': mall }),
  },
  {
    label: 'x-webhook-key in upper case',
    headers: (mall) => ({ 'x-webhook-key': WEBHOOK_KEY.toUpperCase(), 'x-mall-id': mall }),
  },
  { label: 'an empty x-webhook-key', headers: (mall) => ({ 'x-webhook-key': '', 'x-mall-id': mall }) },
  {
    label: 'a wrong x-mall-id',
    headers: () => ({ 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': 'other-mall' }),
  },
  {
    label: 'the two values swapped',
    headers: (mall) => ({ 'x-webhook-key': mall, 'x-mall-id': WEBHOOK_KEY }),
  },
  { label: 'the admin token instead', headers: () => ({ authorization: `Bearer ${ADMIN_TOKEN}` }) },
  {
    label: 'the admin token as x-webhook-key',
    headers: (mall) => ({ 'x-webhook-key': ADMIN_TOKEN, 'x-mall-id': mall }),
  },
];

forEachDatabase('webhook authentication', (h) => {
  const user = 'auth_hook';
  let pending = '';

  it('creates a user with a pending order', async () => {
    await h().createUser(user);
    pending = (await h().deposit(user, '웹훅', 15000)).body.order_number as string;
    expect(pending).toMatch(/^[0-9A-Z]+$/);
  });

  it.each(BAD_WEBHOOK_HEADERS)(
    'refuses a delivery with $label → 401, nothing changes',
    async ({ headers }) => {
      const res = await withoutChanges(h(), () =>
        h().api('POST', '/webhook', {
          token: null,
          headers: { ...headers(h().stub.mallId), 'x-trace-id': `bad-${Math.random()}` },
          body: { order_number: pending, order_status: '매칭완료', processing_date: '2026-11-28 12:00:00' },
        }),
      );
      expectFail(res, 401, 'unauthorized');
      expect(await h().balanceOf(user)).toBe(0);
    },
  );

  it('does not let Payaction’s headers authenticate a user route', async () => {
    const res = await withoutChanges(h(), () =>
      h().api('POST', '/deposit-request', {
        token: null,
        headers: { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': h().stub.mallId },
        body: { username: user, billing_name: '웹훅둘', amount: 16000 },
      }),
    );
    expectFail(res, 401, 'unauthorized');
  });

  it('accepts the right headers and credits the order once', async () => {
    const res = await h().webhook(pending);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success' });
    expect(await h().balanceOf(user)).toBe(15000);
    expect((await ordersOf(h(), user)).map((o) => o.status)).toEqual(['매칭완료']);
    await h().expectLedgerConsistent();
  });
});

import { request as httpRequest } from 'node:http';
import { expect, it } from 'vitest';
import { expectFail, ordersOf, withoutChanges } from './support/checks.js';
import { ADMIN_TOKEN, forEachDatabase, type Harness, WEBHOOK_KEY } from './support/harness.js';

/**
 * The body rules every JSON endpoint shares (SPEC.md, "HTTP API" and "Validation"): only JSON
 * (415 otherwise), well-formed (400), no prototype keys (400), at most 16 KiB (413). Each case
 * sends a body that would change something if it were accepted, and checks that nothing did.
 */

const USER = 'val_body';
const BODY_LIMIT = 16 * 1024;
const VALID_TRON = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

interface Endpoint {
  label: string;
  method: 'POST' | 'PATCH';
  path: () => string;
  /** A body that the endpoint would act on. */
  body: () => Record<string, unknown>;
  webhook?: boolean;
}

let pending = '';

const ENDPOINTS: Endpoint[] = [
  {
    label: 'POST /deposit-request',
    method: 'POST',
    path: () => '/deposit-request',
    body: () => ({ username: USER, billing_name: '본문검사', amount: 8000 }),
  },
  {
    label: 'POST /cancel-order',
    method: 'POST',
    path: () => '/cancel-order',
    body: () => ({ order_number: pending }),
  },
  {
    label: 'POST /webhook',
    method: 'POST',
    path: () => '/webhook',
    body: () => ({ order_number: pending, order_status: '매칭완료', processing_date: '2026-11-28 12:00:00' }),
    webhook: true,
  },
  {
    label: 'POST /admin/users',
    method: 'POST',
    path: () => '/admin/users',
    body: () => ({ username: 'val_body_new' }),
  },
  {
    label: 'PATCH /admin/users/:username',
    method: 'PATCH',
    path: () => `/admin/users/${USER}`,
    body: () => ({ wallet_address: VALID_TRON }),
  },
  {
    label: 'POST /admin/orders/:order_number/match',
    method: 'POST',
    path: () => `/admin/orders/${pending}/match`,
    body: () => ({ reason: '통장 확인' }),
  },
  {
    label: 'POST /admin/orders/:order_number/complete',
    method: 'POST',
    path: () => `/admin/orders/${pending}/complete`,
    body: () => ({ memo: '메모' }),
  },
];

/** The body as JSON text, with `extra` spliced in as further members of the top-level object. */
const withMembers = (body: Record<string, unknown>, extra: string) =>
  `${JSON.stringify(body).slice(0, -1)},${extra}}`;

const MALFORMED: { label: string; raw: (e: Endpoint) => string }[] = [
  { label: 'a cut-off object', raw: (e) => JSON.stringify(e.body()).slice(0, -3) },
  { label: 'single quotes', raw: (e) => JSON.stringify(e.body()).replaceAll('"', "'") },
  { label: 'a trailing comma', raw: (e) => withMembers(e.body(), '') },
  { label: 'trailing garbage', raw: (e) => `${JSON.stringify(e.body())}garbage` },
  { label: 'plain words', raw: () => 'not json at all' },
  { label: 'NaN', raw: () => 'NaN' },
];

const PROTOTYPE_KEYS: { label: string; raw: (e: Endpoint) => string }[] = [
  { label: 'a top-level __proto__', raw: (e) => withMembers(e.body(), '"__proto__":{"amount":1}') },
  { label: 'a nested __proto__', raw: (e) => withMembers(e.body(), '"extra":{"__proto__":{"x":1}}') },
  {
    label: 'constructor.prototype',
    raw: (e) => withMembers(e.body(), '"constructor":{"prototype":{"isAdmin":true}}'),
  },
];

const NOT_JSON: { label: string; type: string; raw: (e: Endpoint) => string }[] = [
  { label: 'text/plain', type: 'text/plain', raw: (e) => JSON.stringify(e.body()) },
  {
    label: 'a form',
    type: 'application/x-www-form-urlencoded',
    raw: (e) => new URLSearchParams(Object.entries(e.body()).map(([k, v]) => [k, String(v)])).toString(),
  },
  { label: 'multipart', type: 'multipart/form-data; boundary=x', raw: () => '--x\r\n\r\nhello\r\n--x--' },
  { label: 'XML', type: 'application/xml', raw: () => '<deposit/>' },
];

function send(h: Harness, e: Endpoint, raw: string, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (e.webhook) Object.assign(headers, { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': h.stub.mallId });
  return h.api(e.method, e.path(), { rawBody: raw, headers, token: e.webhook ? null : ADMIN_TOKEN });
}

/** A JSON body of exactly `bytes` bytes: the valid body plus an unknown padding field. */
function paddedTo(body: Record<string, unknown>, bytes: number): string {
  const bare = withMembers(body, '"pad":""');
  const text = withMembers(body, `"pad":"${'x'.repeat(bytes - Buffer.byteLength(bare))}"`);
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

forEachDatabase('validation: JSON bodies on every endpoint', (h) => {
  it('creates a user with one pending order', async () => {
    await h().createUser(USER);
    const res = await h().deposit(USER, '본문주문', 9000);
    expect(res.status).toBe(200);
    pending = res.body.order_number as string;
  });

  for (const e of ENDPOINTS) {
    it.each(NOT_JSON)(`${e.label}: a $label body → 415 and nothing changes`, async ({ type, raw }) => {
      const res = await withoutChanges(h(), () => send(h(), e, raw(e), type));
      expectFail(res, 415, 'unsupported_media_type');
    });

    it.each(MALFORMED)(`${e.label}: malformed JSON ($label) → 400 and nothing changes`, async ({ raw }) => {
      const res = await withoutChanges(h(), () => send(h(), e, raw(e)));
      expectFail(res, 400, 'invalid_json');
    });

    it.each(PROTOTYPE_KEYS)(`${e.label}: $label → 400 and nothing changes`, async ({ raw }) => {
      const res = await withoutChanges(h(), () => send(h(), e, raw(e)));
      expectFail(res, 400);
    });

    it(`${e.label}: a body over 16 KiB → 413 and nothing changes`, async () => {
      const big = await withoutChanges(h(), () => send(h(), e, paddedTo(e.body(), BODY_LIMIT + 1)));
      expectFail(big, 413, 'payload_too_large');
      const huge = await withoutChanges(h(), () => send(h(), e, paddedTo(e.body(), 200 * 1024)));
      expectFail(huge, 413, 'payload_too_large');
    });
  }

  it('rejects an oversized body sent in chunks without Content-Length', async () => {
    const res = await withoutChanges(h(), async () => {
      const chunk = `${' '.repeat(4096)}`;
      const text = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${h().url}/deposit-request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        req.on('response', (r) => {
          let data = '';
          r.on('data', (d) => {
            data += d;
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: data }));
        });
        req.on('error', reject);
        req.write(`{"username":"${USER}","billing_name":"청크","amount":8000,"pad":"`);
        for (let i = 0; i < 5; i++) req.write(chunk);
        req.end('"}');
      });
      return { status: text.status, body: JSON.parse(text.body), headers: new Headers() };
    });
    expectFail(res, 413, 'payload_too_large');
  });

  it.each([
    { label: 'without order_number', body: { order_status: '매칭완료' } },
    { label: 'without order_status', body: () => ({ order_number: pending }) },
    { label: 'with a numeric order_number', body: { order_number: 12345, order_status: '매칭완료' } },
  ])('POST /webhook: a delivery $label → 400 and nothing changes', async ({ body }) => {
    const webhook = ENDPOINTS.find((e) => e.webhook);
    if (!webhook) throw new Error('no webhook endpoint');
    const raw = JSON.stringify(typeof body === 'function' ? body() : body);
    expectFail(await withoutChanges(h(), () => send(h(), webhook, raw)), 400, 'validation_error');
  });

  it('POST /webhook: an unknown order or another status is answered 200 and changes nothing', async () => {
    const unknown = await withoutChanges(h(), () => h().webhook('ZZZZZZZZZZZZZZZZZZZZ'));
    expect(unknown.status).toBe(200);
    const other = await withoutChanges(h(), () => h().webhook(pending, { status: '입금대기' }));
    expect(other.status).toBe(200);
    expect(other.body).toEqual({ status: 'success' });
  });

  it('accepts a body of exactly 16 KiB and application/json with a charset', async () => {
    const deposit = ENDPOINTS[0];
    if (!deposit) throw new Error('no deposit endpoint');
    const exact = await send(h(), deposit, paddedTo(deposit.body(), BODY_LIMIT));
    expect(exact.status).toBe(200);
    const again = await send(h(), deposit, JSON.stringify(deposit.body()), 'application/json; charset=utf-8');
    expect(again.status).toBe(200);
    expect(again.body.order_number).toBe(exact.body.order_number);
    expect((await ordersOf(h(), USER)).map((o) => [o.billing_name, o.status])).toEqual([
      ['본문검사', '대기중'],
      ['본문주문', '대기중'],
    ]);
  });

  it('left the first order pending and the balance untouched', async () => {
    const order = (await ordersOf(h(), USER)).find((o) => o.order_number === pending);
    expect(order?.status).toBe('대기중');
    expect(await h().balanceOf(USER)).toBe(0);
    const user = await h().api('GET', `/users/${USER}`);
    expect((user.body.user as { wallet_address: string | null }).wallet_address).toBeNull();
  });
});

import { expect, it } from 'vitest';
import { cancelAsAdmin, expectFail, ordersOf, withoutChanges } from './support/checks.js';
import { ADMIN_TOKEN, forEachDatabase, type Harness } from './support/harness.js';

/**
 * `Idempotency-Key` on POST /deposit-request and POST /cancel-order (SPEC.md): the same key with
 * the same body within 24 h replays the first response; with another body → 422; while the first
 * is still running → 409. Keys belong to one caller; a failure on our side does not pin a key.
 */

const HOUR_MS = 60 * 60 * 1000;

interface Deposit {
  username: string;
  billing_name: string;
  amount: number;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const newKey = (label: string) => `${label}-${Math.random().toString(36).slice(2)}`;

forEachDatabase('Idempotency-Key', (h) => {
  const tokens: Record<string, string> = {};
  const post = (path: string, key: string | null, body: unknown, token = ADMIN_TOKEN) =>
    h().api('POST', path, { token, body, headers: key === null ? {} : { 'idempotency-key': key } });
  const deposit = (key: string | null, body: Deposit) =>
    post('/deposit-request', key, body, tokens[body.username] ?? ADMIN_TOKEN);
  const cancel = (key: string | null, orderNumber: string, username: string) =>
    post('/cancel-order', key, { order_number: orderNumber }, tokens[username] ?? ADMIN_TOKEN);
  const registrations = (hh: Harness, orderNumber?: unknown) =>
    hh.stub.callsTo('/order').filter((c) => orderNumber === undefined || c.body.order_number === orderNumber)
      .length;

  it('creates the users and their tokens', async () => {
    for (const u of ['idem_a', 'idem_b', 'idem_c', 'idem_d', 'idem_e', 'idem_f']) {
      await h().createUser(u);
      tokens[u] = await h().userToken(u);
    }
  });

  it('replays the first response for the same key and body, creating one order', async () => {
    const key = newKey('replay');
    const body = { username: 'idem_a', billing_name: '재실행', amount: 21000 };
    const calls = registrations(h());
    const first = await deposit(key, body);
    expect(first.status).toBe(200);
    expect(registrations(h())).toBe(calls + 1);
    // Once cancelled, a request without the key would open a new order; the key must replay instead.
    await cancelAsAdmin(h(), first.body.order_number);
    const again = await deposit(key, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(registrations(h())).toBe(calls + 1);
    expect((await ordersOf(h(), 'idem_a')).map((o) => o.order_number)).toEqual([first.body.order_number]);
    const fresh = await deposit(null, body);
    expect(fresh.body.order_number).not.toBe(first.body.order_number);
    await cancelAsAdmin(h(), fresh.body.order_number);
  });

  it.each([
    { label: 'another amount', change: { amount: 21001 } },
    { label: 'another billing_name', change: { billing_name: '다른이름' } },
  ])('answers 422 for the same key with $label, changing nothing', async ({ change }) => {
    const key = newKey('reuse');
    const body = { username: 'idem_a', billing_name: '재사용', amount: 22000 };
    const first = await deposit(key, body);
    expect(first.status).toBe(200);
    const res = await withoutChanges(h(), () => deposit(key, { ...body, ...change }));
    expectFail(res, 422, 'idempotency_key_reused');
    await cancelAsAdmin(h(), first.body.order_number);
  });

  it('answers 409 while the first request with the key is still running, then replays it', async () => {
    const key = newKey('running');
    const body = { username: 'idem_b', billing_name: '진행중', amount: 23000 };
    const calls = registrations(h());
    h().stub.delayMs = 500;
    try {
      const first = deposit(key, body);
      await until(() => registrations(h()) > calls);
      const second = await deposit(key, body);
      expectFail(second, 409, 'idempotency_in_progress');
      const other = await deposit(key, { ...body, amount: 23001 });
      expectFail(other, 422, 'idempotency_key_reused');
      const done = await first;
      expect(done.status).toBe(200);
      h().stub.delayMs = 0;
      expect((await deposit(key, body)).body).toEqual(done.body);
      expect((await ordersOf(h(), 'idem_b')).map((o) => o.order_number)).toEqual([done.body.order_number]);
      await cancelAsAdmin(h(), done.body.order_number);
    } finally {
      h().stub.delayMs = 0;
    }
  });

  it('creates exactly one order when requests with one key arrive at once', async () => {
    const key = newKey('burst');
    const body = { username: 'idem_c', billing_name: '동시', amount: 24000 };
    h().stub.delayMs = 100;
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => deposit(key, body)));
      const ok = answers.filter((a) => a.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const a of answers) {
        if (a.status === 200) expect(a.body).toEqual(ok[0]?.body);
        else expectFail(a, 409, 'idempotency_in_progress');
      }
      const orders = await ordersOf(h(), 'idem_c');
      expect(orders.map((o) => o.order_number)).toEqual([ok[0]?.body.order_number]);
      expect(registrations(h(), ok[0]?.body.order_number)).toBe(1);
      await cancelAsAdmin(h(), ok[0]?.body.order_number);
    } finally {
      h().stub.delayMs = 0;
    }
  });

  it('creates exactly one order when one key arrives at once with different bodies', async () => {
    const key = newKey('burst-mixed');
    const before = (await ordersOf(h(), 'idem_c')).length;
    h().stub.delayMs = 100;
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          deposit(key, { username: 'idem_c', billing_name: '동시다른', amount: 25000 + i }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 200)) {
        expectFail(a, a.status, ['idempotency_in_progress', 'idempotency_key_reused']);
        expect([409, 422]).toContain(a.status);
      }
      expect((await ordersOf(h(), 'idem_c')).length).toBe(before + 1);
    } finally {
      h().stub.delayMs = 0;
    }
  });

  it('scopes keys to the caller: another user and the admin may use the same key', async () => {
    const key = newKey('shared');
    const a = await deposit(key, { username: 'idem_d', billing_name: '범위에이', amount: 26000 });
    const b = await deposit(key, { username: 'idem_e', billing_name: '범위비이', amount: 26000 });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.order_number).not.toBe(a.body.order_number);
    expect(b.body).toMatchObject({ billing_name: '범위비이' });
    await cancelAsAdmin(h(), a.body.order_number);
    const byAdmin = await post('/deposit-request', key, {
      username: 'idem_d',
      billing_name: '범위에이',
      amount: 26000,
    });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.order_number).not.toBe(a.body.order_number);
    for (const n of [b.body.order_number, byAdmin.body.order_number]) await cancelAsAdmin(h(), n);
  });

  it('does not pin a key when Payaction registration failed with 502', async () => {
    const key = newKey('failed');
    const body = { username: 'idem_d', billing_name: '실패', amount: 27000 };
    h().stub.modes['/order'] = 'http500';
    let failed: Awaited<ReturnType<typeof deposit>>;
    try {
      failed = await deposit(key, body);
    } finally {
      delete h().stub.modes['/order'];
    }
    expectFail(failed, 502, 'payaction_error');
    const retried = await deposit(key, body);
    expect(retried.status).toBe(200);
    const orders = await ordersOf(h(), 'idem_d');
    const byNumber = new Map(orders.map((o) => [o.order_number, o]));
    expect(byNumber.get(retried.body.order_number as string)?.status).toBe('대기중');
    const dead = orders.filter(
      (o) => o.billing_name === '실패' && o.order_number !== retried.body.order_number,
    );
    expect(dead.map((o) => [o.status, o.cancel_reason])).toEqual([['취소됨', 'registration_failed']]);
    expect((await deposit(key, body)).body).toEqual(retried.body);
    await cancelAsAdmin(h(), retried.body.order_number);
  });

  it('does not pin a key when the request body failed schema validation', async () => {
    const key = newKey('invalid-first');
    const bad = await post('/deposit-request', key, {
      username: 'idem_d',
      billing_name: '검증후',
      amount: '28000',
    });
    expectFail(bad, 400, 'validation_error');
    const good = await deposit(key, { username: 'idem_d', billing_name: '검증후', amount: 28000 });
    expect(good.status).toBe(200);
    await cancelAsAdmin(h(), good.body.order_number);
  });

  it.each([
    { label: '300 characters', key: 'k'.repeat(300) },
    { label: '256 characters', key: 'k'.repeat(256) },
  ])('rejects a key of $label with 400, changing nothing', async ({ key }) => {
    const body = { username: 'idem_d', billing_name: '긴키', amount: 29000 };
    expectFail(await withoutChanges(h(), () => deposit(key, body)), 400, 'validation_error');
    const pending = (await ordersOf(h(), 'idem_a'))[0]?.order_number ?? 'ZZZZZZZZZZZZZZZZZZZZ';
    expectFail(await withoutChanges(h(), () => cancel(key, pending, 'idem_a')), 400, 'validation_error');
  });

  it('accepts a UUID as key', async () => {
    const key = crypto.randomUUID();
    const body = { username: 'idem_d', billing_name: '유유아이디', amount: 29500 };
    const first = await deposit(key, body);
    expect(first.status).toBe(200);
    expect((await deposit(key, body)).body).toEqual(first.body);
    await cancelAsAdmin(h(), first.body.order_number);
  });

  it('replays a cancellation, calling Payaction once, and refuses the key for another order', async () => {
    const one = (await deposit(null, { username: 'idem_f', billing_name: '취소하나', amount: 31000 })).body;
    const two = (await deposit(null, { username: 'idem_f', billing_name: '취소둘', amount: 32000 })).body;
    const key = newKey('cancel');
    const first = await cancel(key, one.order_number as string, 'idem_f');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
    expect(first.body.payaction_response).not.toBeNull();
    const again = await cancel(key, one.order_number as string, 'idem_f');
    expect(again.body).toEqual(first.body);
    const excludes = h()
      .stub.callsTo('/order-exclude')
      .filter((c) => c.body.order_number === one.order_number);
    expect(excludes).toHaveLength(1);
    const other = await withoutChanges(h(), () => cancel(key, two.order_number as string, 'idem_f'));
    expectFail(other, 422, 'idempotency_key_reused');
    expect((await ordersOf(h(), 'idem_f')).map((o) => o.status)).toEqual(['대기중', '취소됨']);
  });

  it('does not pin a cancellation key when Payaction failed with 502', async () => {
    const order = (await ordersOf(h(), 'idem_f')).find((o) => o.status === '대기중');
    if (!order) throw new Error('no pending order');
    const key = newKey('cancel-failed');
    h().stub.modes['/order-exclude'] = 'http500';
    let failed: Awaited<ReturnType<typeof cancel>>;
    try {
      failed = await cancel(key, order.order_number, 'idem_f');
    } finally {
      delete h().stub.modes['/order-exclude'];
    }
    expectFail(failed, 502, 'payaction_error');
    expect(failed.body.msg).toContain('PayAction API 오류');
    expect((await ordersOf(h(), 'idem_f')).find((o) => o.order_number === order.order_number)?.status).toBe(
      '대기중',
    );
    const retried = await cancel(key, order.order_number, 'idem_f');
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
    expect((await ordersOf(h(), 'idem_f')).map((o) => o.status)).toEqual(['취소됨', '취소됨']);
  });

  // Moves the clock a day forward: keep it last.
  it('keeps a key for 24 hours, then lets it be used again', async () => {
    const key = newKey('day');
    const body = { username: 'idem_e', billing_name: '하루', amount: 33000 };
    const first = await deposit(key, body);
    expect(first.status).toBe(200);
    await cancelAsAdmin(h(), first.body.order_number);
    h().clock.advance(24 * HOUR_MS - 60_000);
    expect((await deposit(key, body)).body).toEqual(first.body);
    expectFail(await deposit(key, { ...body, amount: 33001 }), 422, 'idempotency_key_reused');
    h().clock.advance(2 * 60_000);
    const later = await deposit(key, { ...body, amount: 33001 });
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ amount: 33001 });
    expect(later.body.order_number).not.toBe(first.body.order_number);
    expect((await deposit(key, { ...body, amount: 33001 })).body).toEqual(later.body);
    expectFail(await deposit(key, body), 422, 'idempotency_key_reused');
  });
});

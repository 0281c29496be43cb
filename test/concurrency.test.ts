import { afterAll, beforeAll, expect, it } from 'vitest';
import { UniqueConflict } from '../src/db/errors.js';
import { type Placement, placeOrder } from '../src/orders/placement.js';
import { countWebhookEvents } from '../src/webhook/webhook.repository.js';
import type { ApiResponse, Harness } from './support/harness.js';
import { forEachDatabase } from './support/harness.js';
import { type Instance, startInstance } from './support/instances.js';
import { adminOrder, adminOrdersOf, placeDeposit, sleep, sum } from './support/lists.js';

const DELIVERIES = 50;

async function expectCreditedOnce(h: Harness, username: string, orderNumber: string, amount: number) {
  const order = await adminOrder(h, username, orderNumber);
  expect(order).toMatchObject({ status: '매칭완료', amount, late_match: false });
  const history = await h.api('GET', `/transaction-history/${username}`);
  const row = (history.body.transactions as { order_number: string; status: string }[]).find(
    (t) => t.order_number === orderNumber,
  );
  expect(row?.status).toBe('매칭완료');
}

function expectAllSuccess(responses: ApiResponse[]) {
  expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
  for (const r of responses) expect(r.body).toEqual({ status: 'success' });
}

forEachDatabase('concurrent webhook deliveries', (h) => {
  it(`credits once when one delivery (same trace id) arrives ${DELIVERIES} times at once`, async () => {
    await h().createUser('cw_same');
    const amounts = [11000, 12000, 13000];
    for (const [i, amount] of amounts.entries()) {
      const orderNumber = await placeDeposit(h(), 'cw_same', '동시수신', amount);
      const traceId = `same-trace-${h().dialect}-${i}`;
      const responses = await Promise.all(
        Array.from({ length: DELIVERIES }, () => h().webhook(orderNumber, { traceId })),
      );
      expectAllSuccess(responses);
      expect(await h().balanceOf('cw_same')).toBe(sum(amounts.slice(0, i + 1)));
      await expectCreditedOnce(h(), 'cw_same', orderNumber, amount);
      // A trace id is handled once: one delivery record, however many copies arrived.
      expect(await countWebhookEvents(h().db.kysely, orderNumber)).toBe(1);
      await h().expectLedgerConsistent();
    }
  });

  it(`credits once when ${DELIVERIES} deliveries with different trace ids arrive at once`, async () => {
    await h().createUser('cw_diff');
    const amounts = [21000, 22000, 23000];
    for (const [i, amount] of amounts.entries()) {
      const orderNumber = await placeDeposit(h(), 'cw_diff', '동시수신', amount);
      const responses = await Promise.all(
        Array.from({ length: DELIVERIES }, (_, k) =>
          h().webhook(orderNumber, { traceId: `diff-${h().dialect}-${i}-${k}` }),
        ),
      );
      expectAllSuccess(responses);
      expect(await h().balanceOf('cw_diff')).toBe(sum(amounts.slice(0, i + 1)));
      await expectCreditedOnce(h(), 'cw_diff', orderNumber, amount);
      expect(await countWebhookEvents(h().db.kysely, orderNumber)).toBe(DELIVERIES);
      await h().expectLedgerConsistent();
    }
  });

  it('credits once when several orders of one user are each delivered many times at once', async () => {
    await h().createUser('cw_multi');
    const amounts = [31000, 32000, 33000, 34000, 35000];
    const orders = await Promise.all(amounts.map((a) => placeDeposit(h(), 'cw_multi', '여러주문', a)));
    const responses = await Promise.all(
      orders.flatMap((orderNumber) => Array.from({ length: 10 }, () => h().webhook(orderNumber))),
    );
    expectAllSuccess(responses);
    expect(await h().balanceOf('cw_multi')).toBe(sum(amounts));
    const listed = await adminOrdersOf(h(), 'cw_multi');
    expect(listed.map((o) => o.status)).toEqual(amounts.map(() => '매칭완료'));
    await h().expectLedgerConsistent();
  });
});

interface RaceResult {
  username: string;
  orderNumber: string;
  amount: number;
  cancel: ApiResponse;
  webhook: ApiResponse;
}

const RACE_USERS = 8;
const ORDERS_PER_USER = 5;

forEachDatabase('cancel racing a webhook', (h) => {
  it('plain late match: a webhook after the cancel credits once and flags the order', async () => {
    await h().createUser('cr_late');
    const orderNumber = await placeDeposit(h(), 'cr_late', '늦은입금', 41000);
    const token = await h().userToken('cr_late');
    const cancel = await h().api('POST', '/cancel-order', { token, body: { order_number: orderNumber } });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
    expect((await adminOrder(h(), 'cr_late', orderNumber)).status).toBe('취소됨');
    expect(await h().balanceOf('cr_late')).toBe(0);

    const hook = await h().webhook(orderNumber);
    expect(hook.status).toBe(200);
    expect(await h().balanceOf('cr_late')).toBe(41000);
    expect(await adminOrder(h(), 'cr_late', orderNumber)).toMatchObject({
      status: '매칭완료',
      late_match: true,
      cancel_reason: 'user',
    });
    // A second delivery of the same event, and another one, change nothing.
    expect((await h().webhook(orderNumber)).status).toBe(200);
    expect(await h().balanceOf('cr_late')).toBe(41000);
    // Matched now: a cancel is refused.
    const again = await h().api('POST', '/cancel-order', { token, body: { order_number: orderNumber } });
    expect(again.status).toBe(409);
    await h().expectLedgerConsistent();
  });

  it(`ends each of ${RACE_USERS * ORDERS_PER_USER} orders in exactly one outcome`, async () => {
    const users = Array.from({ length: RACE_USERS }, (_, u) => `cr_race_${u}`);
    for (const u of users) await h().createUser(u);
    const placed = await Promise.all(
      users.flatMap((username, u) =>
        Array.from({ length: ORDERS_PER_USER }, async (_, k) => {
          const amount = 50000 + u * 1000 + k * 10;
          return { username, amount, orderNumber: await placeDeposit(h(), username, '경합', amount) };
        }),
      ),
    );
    const tokens = new Map(await Promise.all(users.map(async (u) => [u, await h().userToken(u)] as const)));

    // Fire both at once or stagger them a little either way (plus jitter), so that every order of
    // arrival occurs: webhook first, cancel first, and each landing between the other's steps.
    const jitter = () => Math.floor(Math.random() * 3);
    const results: RaceResult[] = await Promise.all(
      placed.map(async (p, i) => {
        const cancelDelay = [4, 0, 0, 0][i % 4] as number;
        const webhookDelay = [0, 0, 4, 8][i % 4] as number;
        const [cancel, webhook] = await Promise.all([
          sleep(cancelDelay + jitter()).then(() =>
            h().api('POST', '/cancel-order', {
              token: tokens.get(p.username),
              body: { order_number: p.orderNumber },
            }),
          ),
          sleep(webhookDelay + jitter()).then(() => h().webhook(p.orderNumber)),
        ]);
        return { ...p, cancel, webhook };
      }),
    );

    for (const r of results) {
      expect(r.webhook.status, `webhook for ${r.orderNumber}`).toBe(200);
      expect([200, 409], `cancel of ${r.orderNumber}: ${JSON.stringify(r.cancel.body)}`).toContain(
        r.cancel.status,
      );
      if (r.cancel.status === 409)
        expect(r.cancel.body).toMatchObject({ status: 'fail', code: 'invalid_state' });
      else expect(r.cancel.body).toMatchObject({ status: 'success', msg: '주문이 취소되었습니다' });
    }

    for (const username of users) {
      const mine = results.filter((r) => r.username === username);
      const listed = await adminOrdersOf(h(), username);
      expect(listed).toHaveLength(ORDERS_PER_USER);
      for (const r of mine) {
        const order = listed.find((o) => o.order_number === r.orderNumber);
        const cancelled = r.cancel.status === 200;
        // The cancel won ⇔ the webhook came after it ⇔ a late match; either way one credit.
        expect(order, r.orderNumber).toMatchObject({
          status: '매칭완료',
          amount: r.amount,
          late_match: cancelled,
          cancel_reason: cancelled ? 'user' : null,
        });
      }
      expect(await h().balanceOf(username)).toBe(sum(mine.map((r) => r.amount)));
    }
    await h().expectLedgerConsistent();

    const late = results.filter((r) => r.cancel.status === 200).length;
    console.info(
      `[${h().dialect}] cancel/webhook race: ${late} late matches, ${results.length - late} refused`,
    );
  });
});

forEachDatabase('concurrent deposit requests', (h) => {
  it('gives one order to the same request sent 10 times at once', async () => {
    await h().createUser('cd_same');
    const calls = h().stub.callsTo('/order').length;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => h().deposit('cd_same', '홍길동', 61000)),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const numbers = new Set(responses.map((r) => r.body.order_number));
    expect(numbers.size).toBe(1);
    expect(await adminOrdersOf(h(), 'cd_same')).toHaveLength(1);
    // A request that finds the order before its registration is recorded registers it too (a lost
    // registration must not be handed out); Payaction still holds one order.
    const registered = h().stub.callsTo('/order').slice(calls);
    expect(new Set(registered.map((c) => c.body.order_number))).toEqual(numbers);
  });

  it('lets only one of two users hold a name + amount when both ask at once', async () => {
    for (let pair = 0; pair < 5; pair++) {
      const [a, b] = [`cd_pair_${pair}_a`, `cd_pair_${pair}_b`];
      await h().createUser(a);
      await h().createUser(b);
      const amount = 62000 + pair;
      const [ra, rb] = await Promise.all([
        h().deposit(a, '같은이름', amount),
        h().deposit(b, '같은이름', amount),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses, JSON.stringify([ra.body, rb.body])).toEqual([200, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect(loser.body).toMatchObject({ status: 'fail', code: 'ambiguous_match' });
      const [la, lb] = await Promise.all([adminOrdersOf(h(), a), adminOrdersOf(h(), b)]);
      expect(la.length + lb.length).toBe(1);
      expect([...la, ...lb][0]?.status).toBe('대기중');
    }
  });

  it('stops one user at MAX_PENDING_PER_USER when 10 amounts arrive at once', async () => {
    expect(h().config.maxPendingPerUser).toBe(5);
    await h().createUser('cd_many');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h().deposit('cd_many', '많은요청', 63000 + i * 100)),
    );
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(5);
    expect(new Set(ok.map((r) => r.body.order_number)).size).toBe(5);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ status: 'fail', code: 'too_many_pending' });
    }
    const listed = await adminOrdersOf(h(), 'cd_many');
    expect(listed.map((o) => o.status)).toEqual(Array.from({ length: 5 }, () => '대기중'));
  });
  it('fails only the request that met a unique conflict, not the rest of its batch', async () => {
    for (const u of ['cd_clash_a', 'cd_clash_b', 'cd_clash_c']) await h().createUser(u);
    const actor = { kind: 'admin', id: 'test' } as const;
    const ask = (username: string, amount: number, orderNumber: string): Placement => ({
      actor,
      username,
      billingName: '충돌',
      amount,
      orderNumber,
      nowMs: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    // Asked in one turn, so one batch; two of them want the same order number.
    const results = await Promise.allSettled([
      placeOrder(h().deps, ask('cd_clash_a', 65000, 'CLASH000000000000001')),
      placeOrder(h().deps, ask('cd_clash_b', 65100, 'CLASH000000000000001')),
      placeOrder(h().deps, ask('cd_clash_c', 65200, 'CLASH000000000000002')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueConflict);
    expect((await adminOrdersOf(h(), 'cd_clash_a')).map((o) => o.order_number)).toEqual([
      'CLASH000000000000001',
    ]);
    expect(await adminOrdersOf(h(), 'cd_clash_b')).toEqual([]);
    expect(await adminOrdersOf(h(), 'cd_clash_c')).toHaveLength(1);
  });

  it('decides a crowd of requests that arrive at once as if each had come alone', async () => {
    for (const u of ['cd_crowd_a', 'cd_crowd_b', 'cd_crowd_c']) await h().createUser(u);
    const asks: [string, string, number][] = [
      ...Array.from({ length: 4 }, (): [string, string, number] => ['cd_crowd_a', '같은요청', 64000]),
      ...Array.from({ length: 7 }, (_, i): [string, string, number] => ['cd_crowd_b', '한도요청', 64100 + i]),
      ['cd_crowd_a', '겹친이름', 64200],
      ['cd_crowd_c', '겹친이름', 64200],
      ['cd_crowd_nobody', '없는사람', 64300],
      ['cd_crowd_c', '혼자', 64400],
    ];
    const responses = await Promise.all(asks.map(([u, name, amount]) => h().deposit(u, name, amount)));
    const codes = (from: number, to: number) => responses.slice(from, to).map((r) => r.body.code ?? r.status);

    // Four copies of one request: one order, given to all four.
    expect(codes(0, 4)).toEqual([200, 200, 200, 200]);
    expect(new Set(responses.slice(0, 4).map((r) => r.body.order_number)).size).toBe(1);
    // Seven amounts of one user: five stored (the limit), two refused.
    expect(codes(4, 11).filter((c) => c === 200)).toHaveLength(5);
    expect(codes(4, 11).filter((c) => c === 'too_many_pending')).toHaveLength(2);
    // One name + amount asked by two users: one of them holds it.
    expect(codes(11, 13).sort()).toEqual([200, 'ambiguous_match'].sort());
    expect(responses[13]?.status).toBe(404);
    expect(responses[14]?.status).toBe(200);

    const a = await adminOrdersOf(h(), 'cd_crowd_a');
    const b = await adminOrdersOf(h(), 'cd_crowd_b');
    const c = await adminOrdersOf(h(), 'cd_crowd_c');
    expect([a.length + c.length, b.length]).toEqual([1 + 1 + 1, 5]);
    const stored = [...a, ...b, ...c].map((o) => o.order_number).sort();
    const answered = responses.filter((r) => r.status === 200).map((r) => r.body.order_number as string);
    expect([...new Set(answered)].sort()).toEqual(stored);
    // Each stored order has its one creation in the audit log, written with it.
    const created = await h()
      .db.kysely.selectFrom('audit_log')
      .innerJoin('orders', 'orders.id', 'audit_log.order_id')
      .select('orders.order_number')
      .where('audit_log.action', '=', 'create')
      .where('orders.order_number', 'in', stored)
      .execute();
    expect(created.map((r) => r.order_number).sort()).toEqual(stored);
    // Every order Payaction was asked to register is one of them.
    const registered = h()
      .stub.callsTo('/order')
      .map((call) => call.body.order_number as string)
      .filter((n) => stored.includes(n));
    expect(new Set(registered)).toEqual(new Set(stored));
  });
});

forEachDatabase('a crowd of reads', (h) => {
  const READERS = 5;
  const READS = 150;

  it(`answers ${READS} reads sent at once, each with its own page, and writes among them`, async () => {
    const users = Array.from({ length: READERS }, (_, i) => `cr_reader_${i}`);
    const own = new Map<string, string>();
    for (const [i, u] of users.entries()) {
      await h().createUser(u);
      own.set(u, await placeDeposit(h(), u, '읽기군중', 71000 + i * 100));
    }
    const reads = Array.from({ length: READS }, (_, i) => users[i % READERS] as string);
    // A first crowd opens the connections (the server takes in one per turn of its event loop);
    // on them the second arrives together: more reads than SQLite starts in one turn, so the rest
    // wait for later turns, and none may be lost.
    await Promise.all(reads.map((u) => h().api('GET', `/transaction-history/${u}`)));
    const [answers, deposits] = await Promise.all([
      Promise.all(reads.map((u) => h().api('GET', `/transaction-history/${u}`))),
      Promise.all(users.map((u, i) => h().deposit(u, '읽기중쓰기', 72000 + i * 100))),
    ]);
    expect(deposits.map((r) => r.status)).toEqual(users.map(() => 200));
    expect(answers.map((r) => r.status)).toEqual(reads.map(() => 200));
    for (const [i, answer] of answers.entries()) {
      const u = reads[i] as string;
      const numbers = (answer.body.transactions as { order_number: string }[]).map((t) => t.order_number);
      expect(numbers).toContain(own.get(u));
    }
  });
});

forEachDatabase('two instances on one database', (h) => {
  let other: Instance | undefined;
  const second = () => {
    if (!other) throw new Error('second instance not started');
    return other;
  };
  beforeAll(async () => {
    // One process cannot host two SQLite writers: better-sqlite3 waits for the file lock
    // synchronously, which blocks the very instance that holds it. Separate processes are fine.
    if (h().dialect !== 'sqlite') other = await startInstance(h());
  });
  afterAll(async () => {
    await other?.close();
  });

  it('credits once when copies of deliveries reach both instances at once', async (ctx) => {
    if (h().dialect === 'sqlite') ctx.skip();
    await h().createUser('ci_hooks');
    const amounts = [91000, 92000];
    const [same, diff] = await Promise.all(amounts.map((a) => placeDeposit(h(), 'ci_hooks', '두서버', a)));
    const responses = await Promise.all(
      Array.from({ length: DELIVERIES }, (_, k) => {
        const trace = `ci-${h().dialect}-same`;
        return k % 2 === 0
          ? h().webhook(same as string, { traceId: trace })
          : second().webhook(same as string, trace);
      }).concat(
        Array.from({ length: DELIVERIES }, (_, k) => {
          const trace = `ci-${h().dialect}-diff-${k}`;
          return k % 2 === 0
            ? h().webhook(diff as string, { traceId: trace })
            : second().webhook(diff as string, trace);
        }),
      ),
    );
    expectAllSuccess(responses);
    expect(await h().balanceOf('ci_hooks')).toBe(sum(amounts));
    expect(await countWebhookEvents(h().db.kysely, same as string)).toBe(1);
    await h().expectLedgerConsistent();
  });

  it('ends a cancel on one instance racing a webhook on the other in one outcome', async (ctx) => {
    if (h().dialect === 'sqlite') ctx.skip();
    const users = ['ci_race_0', 'ci_race_1', 'ci_race_2', 'ci_race_3'];
    for (const u of users) await h().createUser(u);
    const placed = await Promise.all(
      users.flatMap((username, u) =>
        Array.from({ length: ORDERS_PER_USER }, async (_, k) => {
          const amount = 93000 + u * 1000 + k * 10;
          return { username, amount, orderNumber: await placeDeposit(h(), username, '두서버경합', amount) };
        }),
      ),
    );
    const results = await Promise.all(
      placed.map(async (p, i) => {
        const [cancel, webhook] = await Promise.all([
          i % 2 === 0
            ? second().post('/cancel-order', { order_number: p.orderNumber })
            : h().api('POST', '/cancel-order', { body: { order_number: p.orderNumber } }),
          i % 2 === 0 ? h().webhook(p.orderNumber) : second().webhook(p.orderNumber, `ci-race-${i}`),
        ]);
        return { ...p, cancel, webhook };
      }),
    );
    for (const r of results) {
      expect(r.webhook.status).toBe(200);
      expect([200, 409]).toContain(r.cancel.status);
      const order = await adminOrder(h(), r.username, r.orderNumber);
      expect(order).toMatchObject({ status: '매칭완료', late_match: r.cancel.status === 200 });
    }
    for (const u of users) {
      expect(await h().balanceOf(u)).toBe(sum(results.filter((r) => r.username === u).map((r) => r.amount)));
    }
    await h().expectLedgerConsistent();
  });

  it('gives one order to one deposit request sent to both instances at once', async (ctx) => {
    if (h().dialect === 'sqlite') ctx.skip();
    await h().createUser('ci_dep');
    const body = { username: 'ci_dep', billing_name: '두서버입금', amount: 94000 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        k % 2 === 0 ? h().api('POST', '/deposit-request', { body }) : second().post('/deposit-request', body),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(new Set(responses.map((r) => r.body.order_number)).size).toBe(1);
    expect(await adminOrdersOf(h(), 'ci_dep')).toHaveLength(1);
  });
  it('gives a name + amount asked through both instances at once to one user only', async (ctx) => {
    if (h().dialect === 'sqlite') ctx.skip();
    const users = Array.from({ length: 6 }, (_, i) => `ci_name_${i}`);
    for (const u of users) await h().createUser(u);
    const body = (username: string) => ({ username, billing_name: '두곳요청', amount: 93000 });
    const responses = await Promise.all(
      users.map((u, i) =>
        i % 2 === 0 ? h().deposit(u, '두곳요청', 93000) : second().post('/deposit-request', body(u)),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200))
      expect(r.body).toMatchObject({ status: 'fail', code: 'ambiguous_match' });
    const held = (await Promise.all(users.map((u) => adminOrdersOf(h(), u)))).flat();
    expect(held.map((o) => o.status)).toEqual(['대기중']);
  });

  it('gives one order to one request sent to both instances at once', async (ctx) => {
    if (h().dialect === 'sqlite') ctx.skip();
    await h().createUser('ci_same');
    const body = { username: 'ci_same', billing_name: '같은요청', amount: 94000 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0 ? h().deposit('ci_same', '같은요청', 94000) : second().post('/deposit-request', body),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(new Set(responses.map((r) => r.body.order_number)).size).toBe(1);
    expect(await adminOrdersOf(h(), 'ci_same')).toHaveLength(1);
  });
});

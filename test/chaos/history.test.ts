import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.js';
import { expireDueOrders } from '../../src/orders/expiry.js';
import type { ApiResponse, Harness } from '../support/harness.js';
import { forEachDatabase } from '../support/harness.js';
import type { AdminOrderItem, DepositItem, HistoryItem, UserItem } from '../support/lists.js';
import { type Cluster, creditsByOrder, listAll, type Node, startCluster, withSeed } from './cluster.js';
import {
  type Actor,
  adminView,
  byNumber,
  type DepositCase,
  footprint,
  MATCHED_LABEL,
  Model,
  type Op,
  type Seen,
  type Step,
} from './history-model.js';
import { chaosSeed, Rng } from './rng.js';
import { report, sized } from './size.js';

const OPS = sized(150, 1000);
const INSTANCES = 3;
const CHECK_EVERY = 10;
const BURST_CHANCE = 0.12;
const COPIES_CHANCE = 0.05;
const BURST_SIZE_MAX = 5;

const USERS = ['hist_a', 'hist_b', 'hist_c', 'hist_d', 'hist_e', 'hist_f'];
// Unknown until an operation creates them: deposits and reads for them meanwhile answer 404.
const LATE_USERS = ['hist_late_a', 'hist_late_b'];
const ALL_USERS = [...USERS, ...LATE_USERS];

// Depositor names with how the rules read them: several spellings meet on one name (trimmed,
// decomposed Hangul), so deposits collide on name + amount across users.
const VALID_NAMES: { raw: string; key: string }[] = [
  { raw: '홍길동', key: '홍길동' },
  { raw: ' 홍길동 ', key: '홍길동' },
  { raw: '홍길동'.normalize('NFD'), key: '홍길동' },
  { raw: '김철수', key: '김철수' },
  { raw: 'Lee Min-ho', key: 'Lee Min-ho' },
  { raw: '(주)한빛.', key: '(주)한빛.' },
  { raw: 'ABCDEFGHIJKLMNOPQRST', key: 'ABCDEFGHIJKLMNOPQRST' },
];
const INVALID_NAMES: { raw: unknown; schema: boolean }[] = [
  { raw: '   ', schema: false },
  { raw: '홍길동<b>', schema: false },
  { raw: '입금🙂', schema: false },
  { raw: 'ㄱㄴㄷ', schema: false },
  { raw: 'ABCDEFGHIJKLMNOPQRSTU', schema: false },
  { raw: '홍\t길동', schema: false },
  { raw: '', schema: true },
  { raw: 12345, schema: true },
  { raw: 'x'.repeat(65), schema: true },
];
const COMMON_AMOUNTS = [10_000, 20_000, 30_000, 50_000];
const INVALID_AMOUNTS: { value: unknown; schema: boolean }[] = [
  { value: 999, schema: false },
  { value: 0, schema: false },
  { value: -10_000, schema: false },
  { value: 10_000_001, schema: false },
  { value: 1000.5, schema: true },
  { value: '5000', schema: true },
  { value: null, schema: true },
];
const IDEMPOTENCY_KEYS = ['idem-1', 'idem-2', 'idem-3'];
const OTHER_STATUS = '입금대기';
const MINUTE_MS = 60_000;
const ORDER_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

// ---------------------------------------------------------------------------------------------
// Generating operations from the model's state and a seeded generator.

class Generator {
  private traceSeq = 0;

  constructor(
    private readonly rng: Rng,
    private readonly model: Model,
    private readonly seed: number,
  ) {}

  private existing(): string[] {
    return ALL_USERS.filter((u) => this.model.balances.has(u));
  }

  private target(): string {
    return this.rng.chance(0.92) ? this.rng.pick(this.existing()) : this.rng.pick(ALL_USERS);
  }

  /** Self, an operator, or (for existing targets) another user, who must be refused. */
  private actorFor(username: string, allowOther: boolean): Actor {
    const others = this.existing().filter((u) => u !== username);
    const r = this.rng.next();
    if (allowOther && others.length > 0 && r < 0.1) return { kind: 'user', username: this.rng.pick(others) };
    return r < 0.55 ? { kind: 'user', username } : { kind: 'admin' };
  }

  private unknownOrder(): string {
    return Array.from({ length: 20 }, () => this.rng.pick([...ORDER_ALPHABET])).join('');
  }

  private order(): string {
    const all = [...this.model.orders.values()];
    const pending = all.filter((o) => o.status === 'pending');
    if (all.length === 0 || this.rng.chance(0.06)) return this.unknownOrder();
    return (pending.length > 0 && this.rng.chance(0.6) ? this.rng.pick(pending) : this.rng.pick(all)).number;
  }

  private deposit(): Op {
    const username = this.target();
    const known = this.model.balances.has(username);
    // Invalid bodies only for known users by allowed actors, so each answer has one right code.
    const invalid = known && this.rng.chance(0.12);
    const actor = this.actorFor(username, known && !invalid);
    const deposit: DepositCase = {
      body: { username, billing_name: '', amount: 0 },
      schemaInvalid: false,
      nameKey: null,
      amountValid: true,
    };
    const badName = invalid && this.rng.chance(0.5);
    if (badName) {
      const name = this.rng.pick(INVALID_NAMES);
      deposit.body.billing_name = name.raw;
      deposit.schemaInvalid = name.schema;
    } else {
      const name = this.rng.pick(VALID_NAMES);
      deposit.body.billing_name = name.raw;
      deposit.nameKey = name.key;
    }
    if (invalid && !badName) {
      const amount = this.rng.pick(INVALID_AMOUNTS);
      deposit.body.amount = amount.value;
      deposit.amountValid = false;
      deposit.schemaInvalid = amount.schema;
    } else {
      deposit.body.amount = this.rng.chance(0.85)
        ? this.rng.pick(COMMON_AMOUNTS)
        : this.rng.int(this.model.limits.minAmount, this.model.limits.maxAmount);
    }
    const idempotencyKey = this.rng.chance(0.15) ? this.rng.pick(IDEMPOTENCY_KEYS) : null;
    return { kind: 'deposit', actor, deposit, idempotencyKey };
  }

  private webhook(): Op {
    const seen = [...this.model.traces];
    const r = this.rng.next();
    const traceId =
      r < 0.25 && seen.length > 0
        ? this.rng.pick(seen)
        : r < 0.33
          ? null
          : `hist-${this.seed}-${this.traceSeq++}`;
    const status = this.rng.chance(0.92) ? MATCHED_LABEL : OTHER_STATUS;
    return { kind: 'webhook', order: this.order(), traceId, status };
  }

  private cancel(): Op {
    const order = this.order();
    const owner = this.model.orders.get(order)?.username ?? this.rng.pick(this.existing());
    return { kind: 'cancel', actor: this.actorFor(owner, true), order };
  }

  next(nodes: number): Op {
    const r = this.rng.next();
    if (r < 0.3) return this.deposit();
    if (r < 0.52) return this.webhook();
    if (r < 0.64) return this.cancel();
    if (r < 0.69)
      return { kind: 'complete', order: this.order(), memo: this.rng.chance(0.5) ? '정산 확인' : null };
    if (r < 0.73) return { kind: 'match', order: this.order() };
    if (r < 0.77) {
      const runs = this.rng.chance(0.3) ? Math.min(nodes, this.rng.int(2, 3)) : 1;
      return { kind: 'expire', advanceMs: this.rng.int(0, 600) * MINUTE_MS, runs };
    }
    if (r < 0.84) {
      const username = this.target();
      return { kind: 'history', actor: this.actorFor(username, this.model.balances.has(username)), username };
    }
    if (r < 0.87) return { kind: 'settled', username: this.target() };
    if (r < 0.97) {
      const username = this.target();
      return { kind: 'balance', actor: this.actorFor(username, this.model.balances.has(username)), username };
    }
    // Mostly existing names (409), so the late users stay unknown for a while.
    const username = this.rng.chance(0.15) ? this.rng.pick(LATE_USERS) : this.rng.pick(USERS);
    return { kind: 'createUser', username };
  }

  /**
   * One operation sent to several instances at once, as Payaction or a user retrying does. These
   * answer the same whichever copy lands first, and every copy after the first changes nothing
   * (a deposit under an Idempotency-Key may also find its first copy still running).
   */
  copies(nodes: number): Op[] {
    const r = this.rng.next();
    let op =
      r < 0.4 ? this.webhook() : r < 0.65 ? this.cancel() : r < 0.85 ? this.deposit() : this.next(nodes);
    if (op.kind === 'deposit' && this.rng.chance(0.5))
      op = { ...op, idempotencyKey: this.rng.pick(IDEMPOTENCY_KEYS) };
    if (!['webhook', 'cancel', 'complete', 'deposit'].includes(op.kind)) return [op];
    const count = this.rng.int(2, Math.max(2, nodes));
    return Array.from({ length: count }, (_, k) =>
      op.kind === 'webhook' && k > 0 && op.traceId !== null && this.rng.chance(0.5)
        ? { ...op, traceId: `hist-${this.seed}-${this.traceSeq++}` }
        : op,
    );
  }

  /** Operations with disjoint footprints, to run at once. */
  burst(nodes: number): Op[] {
    const size = this.rng.int(2, BURST_SIZE_MAX);
    const taken = new Set<string>();
    const ops: Op[] = [];
    for (let tries = 0; ops.length < size && tries < size * 10; tries++) {
      const op = this.next(nodes);
      const touched = footprint(this.model, op);
      if (op.kind === 'expire' || touched.some((t) => taken.has(t))) continue;
      for (const t of touched) taken.add(t);
      ops.push(op);
    }
    return ops;
  }
}

function describeOp(op: Op): string {
  const who = (a: Actor) => (a.kind === 'admin' ? 'admin' : a.username);
  switch (op.kind) {
    case 'deposit':
      return `deposit by ${who(op.actor)} ${JSON.stringify(op.deposit.body)} key=${op.idempotencyKey}`;
    case 'webhook':
      return `webhook ${op.order} "${op.status}" trace=${op.traceId}`;
    case 'cancel':
      return `cancel ${op.order} by ${who(op.actor)}`;
    case 'expire':
      return `expire +${op.advanceMs / MINUTE_MS}min ×${op.runs}`;
    case 'history':
    case 'balance':
      return `${op.kind} of ${op.username} by ${who(op.actor)}`;
    default:
      return `${op.kind} ${JSON.stringify(op)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Running an operation against the cluster and reading its answer in the model's shape.

const failure = (res: ApiResponse): Seen => ({
  status: res.status,
  body: { status: res.body.status, code: res.body.code },
});

function orderFields(order: AdminOrderItem) {
  const { order_number, username, billing_name, amount, status, cancel_reason, late_match, memo } = order;
  return { order_number, username, billing_name, amount, status, cancel_reason, late_match, memo };
}

class Runner {
  constructor(
    private readonly h: Harness,
    private readonly tokens: ReadonlyMap<string, string>,
  ) {}

  private token(actor: Actor): { token?: string } {
    return actor.kind === 'admin' ? {} : { token: this.tokens.get(actor.username) as string };
  }

  async run(op: Exclude<Op, { kind: 'expire' }>, node: Node): Promise<Seen> {
    switch (op.kind) {
      case 'createUser': {
        const res = await node.api('POST', '/admin/users', { body: { username: op.username } });
        if (res.status !== 201) return failure(res);
        const user = res.body.user as UserItem;
        return {
          status: 201,
          body: { status: res.body.status, username: user.username, balance: user.balance },
        };
      }
      case 'deposit': {
        const headers: Record<string, string> = op.idempotencyKey
          ? { 'idempotency-key': op.idempotencyKey }
          : {};
        const res = await node.api('POST', '/deposit-request', {
          ...this.token(op.actor),
          headers,
          body: op.deposit.body,
        });
        if (res.status !== 200) return failure(res);
        const { status, bank, account, account_holder, order_number, amount, billing_name, expires_at } =
          res.body;
        return {
          status: 200,
          body: { status, bank, account, account_holder, order_number, amount, billing_name, expires_at },
        };
      }
      case 'webhook': {
        const res = await node.webhook(op.order, op.traceId, op.status);
        return { status: res.status, body: res.body };
      }
      case 'cancel': {
        const body = { order_number: op.order };
        const res = await node.api('POST', '/cancel-order', { ...this.token(op.actor), body });
        if (res.status !== 200) return failure(res);
        return { status: 200, body: { status: res.body.status, msg: res.body.msg } };
      }
      case 'complete':
      case 'match': {
        const body =
          op.kind === 'match' ? { reason: '입금 확인' } : op.memo !== null ? { memo: op.memo } : {};
        const res = await node.api('POST', `/admin/orders/${op.order}/${op.kind}`, { body });
        if (res.status !== 200) return failure(res);
        return {
          status: 200,
          body: { status: res.body.status, order: orderFields(res.body.order as AdminOrderItem) },
        };
      }
      case 'history': {
        const path = `/transaction-history/${op.username}?limit=1000`;
        const res = await node.api('GET', path, this.token(op.actor));
        if (res.status !== 200) return failure(res);
        expect(res.body.next_cursor).toBeNull();
        const items = (res.body.transactions as HistoryItem[]).map(({ order_number, amount, status }) => ({
          order_number,
          amount,
          status,
        }));
        return { status: 200, body: items.sort(byNumber) };
      }
      case 'settled': {
        const res = await node.api('GET', `/admin/transactions?username=${op.username}&limit=1000`);
        if (res.status !== 200) return failure(res);
        const items = (res.body.deposits as DepositItem[]).map(
          ({ order_number, amount, status, username, billing_name }) => ({
            order_number,
            amount,
            status,
            username,
            billing_name,
          }),
        );
        return { status: 200, body: items.sort(byNumber) };
      }
      case 'balance': {
        const res = await node.api('GET', `/users/${op.username}`, this.token(op.actor));
        if (res.status !== 200) return failure(res);
        return { status: 200, body: { balance: (res.body.user as UserItem).balance } };
      }
    }
  }

  /** Moves the shared clock, then runs expiry on `runs` instances at once. */
  async expire(op: Extract<Op, { kind: 'expire' }>, nodes: readonly Node[]): Promise<Seen> {
    this.h.clock.advance(op.advanceMs);
    const reports = await Promise.all(nodes.slice(0, op.runs).map((n) => expireDueOrders(n.deps)));
    const sum = (k: 'expired' | 'excludeFailed') => reports.reduce((s, r) => s + r[k], 0);
    return { status: 200, body: { expired: sum('expired'), excludeFailed: sum('excludeFailed') } };
  }
}

const inProgress = (s: Seen) =>
  s.status === 409 && (s.body as { code?: string }).code === 'idempotency_in_progress';

/**
 * Copies of one deposit sent at once: each answer is the model's, and all are the same order (one
 * runs, the others find its pending order or, under an Idempotency-Key, replay it or find it still
 * running).
 */
function checkDepositCopies(op: Extract<Op, { kind: 'deposit' }>, step: Step, seen: Seen[], label: string) {
  const answered = seen.filter((s) => !inProgress(s));
  if (op.idempotencyKey === null) expect(answered, label).toHaveLength(seen.length);
  expect(answered.length, label).toBeGreaterThan(0);
  for (const s of answered) {
    expect(s, label).toEqual(step.expected);
    expect(s, label).toEqual(answered[0]);
  }
  step.commit(answered[0] as Seen);
}

/** Every order, every balance and the ledger against the model. */
async function checkEverything(h: Harness, node: Node, model: Model, where: string): Promise<void> {
  const orders = await listAll<AdminOrderItem>(node, '/admin/orders', 'orders');
  expect(orders.map(orderFields).sort(byNumber), `orders ${where}`).toEqual(
    [...model.orders.values()].map(adminView).sort(byNumber),
  );
  const users = await listAll<UserItem>(node, '/admin/users', 'users');
  expect(Object.fromEntries(users.map((u) => [u.username, u.balance])), `balances ${where}`).toEqual(
    Object.fromEntries(model.balances),
  );
  const credits = await creditsByOrder(h);
  const credited = [...model.orders.values()].filter(
    (o) => o.status === 'matched' || o.status === 'completed',
  );
  expect(Object.fromEntries(credits), `ledger credits ${where}`).toEqual(
    Object.fromEntries(credited.map((o) => [o.number, { count: 1, amount: o.amount }])),
  );
  const verified = await verifyLedger(h.db);
  expect(verified, `verify ${where}`).toMatchObject({ ok: true });
}

forEachDatabase('chaos: seeded history against a model', (h) => {
  let cluster: Cluster | undefined;
  const nodes = () => cluster?.nodes ?? [];
  beforeAll(async () => {
    cluster = await startCluster(h(), INSTANCES);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it(`agrees with the model over ${OPS} random operations`, async () => {
    const seed = chaosSeed();
    const rng = new Rng(seed);
    const { config } = h();
    const model = new Model(
      {
        minAmount: config.minAmount,
        maxAmount: config.maxAmount,
        maxPendingPerUser: config.maxPendingPerUser,
        ttlMs: config.orderTtlMinutes * MINUTE_MS,
        bank: { name: config.bank.name, account: config.bank.account, holder: config.bank.holder },
      },
      h().clock.now(),
      { newOrderNumber: expect.stringMatching(/^[0-9A-Z]{20}$/), anyString: expect.any(String) },
    );
    const tokens = new Map(
      await Promise.all(ALL_USERS.map(async (u) => [u, await h().userToken(u)] as const)),
    );
    const generator = new Generator(rng, model, seed);
    const runner = new Runner(h(), tokens);
    const counts: Record<string, number> = {};
    let done = 0;
    let bursts = 0;
    let lastCheck = 0;
    const recent: string[] = [];
    const started = performance.now();

    await withSeed(`history [${h().dialect}]`, seed, async () => {
      for (const username of USERS) {
        const step = model.step({ kind: 'createUser', username });
        step.commit(await runner.run({ kind: 'createUser', username }, nodes()[0] as Node));
      }
      while (done < OPS) {
        const r = rng.next();
        const ops =
          r < BURST_CHANCE
            ? generator.burst(nodes().length)
            : r < BURST_CHANCE + COPIES_CHANCE
              ? generator.copies(nodes().length)
              : [generator.next(nodes().length)];
        if (ops.length > 1) bursts++;
        // Expected answers come from the state before the burst: its operations commute, or are
        // copies of one whose answer does not depend on which copy lands first.
        const steps = ops.map((op) => model.step(op));
        const spread = rng.shuffle(nodes());
        const placed = ops.map((_, k) => spread[k % spread.length] as Node);
        const seen = await Promise.all(
          ops.map((op, k) =>
            op.kind === 'expire'
              ? runner.expire(op, rng.shuffle(nodes()))
              : runner.run(op, placed[k] as Node),
          ),
        );
        const labels = ops.map(
          (op, k) =>
            `op #${done + k}${ops.length > 1 ? ` (burst of ${ops.length})` : ''} ${describeOp(op)} via #${placed[k]?.index}`,
        );
        recent.push(...labels);
        ops.forEach((op, k) => {
          const tally = `${op.kind}_${seen[k]?.status}`;
          counts[tally] = (counts[tally] ?? 0) + 1;
        });
        if (ops.length > 1 && ops[0]?.kind === 'deposit' && ops.every((op) => op === ops[0])) {
          checkDepositCopies(ops[0], steps[0] as Step, seen, labels.join('\n'));
        } else {
          ops.forEach((_, k) => {
            expect(seen[k], labels[k]).toEqual(steps[k]?.expected);
            steps[k]?.commit(seen[k] as Seen);
          });
        }
        done += ops.length;
        if (done - lastCheck >= CHECK_EVERY || done >= OPS) {
          const where = `after op #${done - 1}; operations since the last good check:\n${recent.join('\n')}`;
          await checkEverything(h(), rng.pick(nodes()), model, where);
          lastCheck = done;
          recent.length = 0;
        }
      }
    });

    const statuses: Record<string, number> = {};
    for (const o of model.orders.values()) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    report(`history [${h().dialect}]`, {
      seed,
      instances: nodes().length,
      ops: done,
      bursts,
      orders: model.orders.size,
      credits: (statuses.matched ?? 0) + (statuses.completed ?? 0),
      lateMatches: [...model.orders.values()].filter((o) => o.lateMatch).length,
      ...Object.fromEntries(Object.entries(statuses).map(([k, v]) => [`orders_${k}`, v])),
      ...counts,
      durationMs: Math.round(performance.now() - started),
    });
  });
});

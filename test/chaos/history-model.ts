/**
 * A single-threaded model of the service, written from the contract (SPEC.md): users and their
 * balances, orders and their states, seen trace ids and stored idempotency keys. Each operation
 * yields the answer the service must give and, once the real answer is known, the change it makes.
 */

export type Status = 'pending' | 'matched' | 'completed' | 'cancelled';
export const LABEL: Record<Status, string> = {
  pending: '대기중',
  matched: '매칭완료',
  completed: '완료',
  cancelled: '취소됨',
};
export const MATCHED_LABEL = LABEL.matched;

export type Actor = { kind: 'admin' } | { kind: 'user'; username: string };

export interface ModelOrder {
  number: string;
  username: string;
  billingName: string;
  amount: number;
  status: Status;
  cancelReason: 'user' | 'admin' | 'expired' | null;
  lateMatch: boolean;
  memo: string | null;
  expiresAt: number;
}

/** A deposit body as sent, with what the rules say of it (the generator's hand-written table). */
export interface DepositCase {
  body: { username: string; billing_name: unknown; amount: unknown };
  /** Refused by the request schema (wrong type, empty, over 64 characters). */
  schemaInvalid: boolean;
  /** The name as it will be matched (NFC, trimmed), or null when the rules refuse it. */
  nameKey: string | null;
  amountValid: boolean;
}

export type Op =
  | { kind: 'createUser'; username: string }
  | { kind: 'deposit'; actor: Actor; deposit: DepositCase; idempotencyKey: string | null }
  | { kind: 'webhook'; order: string; traceId: string | null; status: string }
  | { kind: 'cancel'; actor: Actor; order: string }
  | { kind: 'complete'; order: string; memo: string | null }
  | { kind: 'match'; order: string }
  | { kind: 'expire'; advanceMs: number; runs: number }
  | { kind: 'history'; actor: Actor; username: string }
  | { kind: 'settled'; username: string }
  | { kind: 'balance'; actor: Actor; username: string };

/** What the test reads from an answer, in the same shape as what the model expects. */
export interface Seen {
  status: number;
  body: unknown;
}

export interface Step {
  /** The answer the service must give; `unknown` fields are asymmetric matchers where needed. */
  expected: Seen;
  /** Applies the operation's effect, given the real answer (a new order's number comes from it). */
  commit(seen: Seen): void;
}

export interface Limits {
  minAmount: number;
  maxAmount: number;
  maxPendingPerUser: number;
  ttlMs: number;
  bank: { name: string; account: string; holder: string };
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const ok = { status: 'success' };
const failed = (status: number, code: string): Seen => ({ status, body: { status: 'fail', code } });
const noEffect = () => undefined;

interface StoredAnswer {
  hash: string;
  atMs: number;
  answer: Seen;
}

/** Stable JSON (sorted keys) of a flat body: what the service hashes an idempotent request by. */
function bodyHash(body: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(body)
      .sort()
      .map((k) => [k, body[k]]),
  );
}

export const scopeOf = (actor: Actor) => (actor.kind === 'admin' ? 'admin' : `user:${actor.username}`);

/** `newOrder` stands for a number the model cannot know in advance (asserted by the caller). */
export interface Matchers {
  newOrderNumber: unknown;
  anyString: unknown;
}

export class Model {
  readonly balances = new Map<string, number>();
  readonly orders = new Map<string, ModelOrder>();
  readonly traces = new Set<string>();
  private readonly stored = new Map<string, StoredAnswer>();
  nowMs: number;

  constructor(
    readonly limits: Limits,
    startMs: number,
    private readonly matchers: Matchers,
  ) {
    this.nowMs = startMs;
  }

  pendingWithKey(key: string): ModelOrder | undefined {
    for (const o of this.orders.values()) if (o.status === 'pending' && pendingKey(o) === key) return o;
    return undefined;
  }

  pendingOf(username: string): ModelOrder[] {
    return [...this.orders.values()].filter((o) => o.username === username && o.status === 'pending');
  }

  ordersOf(username: string): ModelOrder[] {
    return [...this.orders.values()].filter((o) => o.username === username);
  }

  step(op: Op): Step {
    switch (op.kind) {
      case 'createUser':
        return this.createUser(op.username);
      case 'deposit':
        return this.depositIdempotent(op.actor, op.deposit, op.idempotencyKey);
      case 'webhook':
        return this.webhook(op);
      case 'cancel':
        return this.cancel(op.actor, op.order);
      case 'complete':
        return this.complete(op.order, op.memo);
      case 'match':
        return this.match(op.order);
      case 'expire':
        return this.expire(op.advanceMs);
      case 'history':
        return this.history(op.actor, op.username);
      case 'settled':
        return this.settled(op.username);
      case 'balance':
        return this.balance(op.actor, op.username);
    }
  }

  private createUser(username: string): Step {
    if (this.balances.has(username)) return { expected: failed(409, 'user_exists'), commit: noEffect };
    return {
      expected: { status: 201, body: { status: 'success', username, balance: 0 } },
      commit: () => this.balances.set(username, 0),
    };
  }

  /** `Idempotency-Key`: the same key and body replay the first answer, another body is refused. */
  private depositIdempotent(actor: Actor, deposit: DepositCase, key: string | null): Step {
    const plain = this.deposit(actor, deposit);
    if (key === null || deposit.schemaInvalid) return plain;
    const id = `deposit-request|${scopeOf(actor)}|${key}`;
    const hash = bodyHash(deposit.body);
    const stored = this.stored.get(id);
    if (stored && this.nowMs - stored.atMs < IDEMPOTENCY_TTL_MS) {
      if (stored.hash !== hash) return { expected: failed(422, 'idempotency_key_reused'), commit: noEffect };
      return { expected: stored.answer, commit: noEffect };
    }
    return {
      expected: plain.expected,
      commit: (seen) => {
        plain.commit(seen);
        // A refused input started nothing, so its key stays free; every other answer is kept.
        if (seen.status === 400) this.stored.delete(id);
        else this.stored.set(id, { hash, atMs: this.nowMs, answer: seen });
      },
    };
  }

  private depositBody(order: { number: unknown; amount: number; billingName: string }, expiresAt: unknown) {
    const { bank } = this.limits;
    return {
      status: 'success',
      bank: bank.name,
      account: bank.account,
      account_holder: bank.holder,
      order_number: order.number,
      amount: order.amount,
      billing_name: order.billingName,
      expires_at: expiresAt,
    };
  }

  private deposit(actor: Actor, deposit: DepositCase): Step {
    const { username } = deposit.body;
    if (deposit.schemaInvalid) return { expected: failed(400, 'validation_error'), commit: noEffect };
    if (actor.kind === 'user' && actor.username !== username)
      return { expected: failed(403, 'forbidden'), commit: noEffect };
    if (deposit.nameKey === null || !deposit.amountValid)
      return { expected: failed(400, 'validation_error'), commit: noEffect };
    if (!this.balances.has(username)) return { expected: failed(404, 'user_not_found'), commit: noEffect };
    const amount = deposit.body.amount as number;
    const billingName = deposit.nameKey;
    const holder = this.pendingWithKey(keyOf(billingName, amount));
    if (holder && holder.username === username) {
      return {
        expected: { status: 200, body: this.depositBody(holder, this.matchers.anyString) },
        commit: noEffect,
      };
    }
    if (holder) return { expected: failed(409, 'ambiguous_match'), commit: noEffect };
    if (this.pendingOf(username).length >= this.limits.maxPendingPerUser)
      return { expected: failed(409, 'too_many_pending'), commit: noEffect };
    const expiresAt = this.nowMs + this.limits.ttlMs;
    return {
      expected: {
        status: 200,
        body: this.depositBody(
          { number: this.matchers.newOrderNumber, amount, billingName },
          this.matchers.anyString,
        ),
      },
      commit: (seen) => {
        const number = (seen.body as { order_number: string }).order_number;
        if (this.orders.has(number)) throw new Error(`order number ${number} given twice`);
        this.orders.set(number, {
          number,
          username,
          billingName,
          amount,
          status: 'pending',
          cancelReason: null,
          lateMatch: false,
          memo: null,
          expiresAt,
        });
      },
    };
  }

  /** The one credit path: pending or cancelled → matched, balance += stored amount. */
  private credit(order: ModelOrder): void {
    if (order.status === 'cancelled') order.lateMatch = true;
    order.status = 'matched';
    this.balances.set(order.username, (this.balances.get(order.username) ?? 0) + order.amount);
  }

  private webhook(op: { order: string; traceId: string | null; status: string }): Step {
    const expected = { status: 200, body: ok };
    if (op.traceId !== null && this.traces.has(op.traceId)) return { expected, commit: noEffect };
    return {
      expected,
      commit: () => {
        if (op.traceId !== null) this.traces.add(op.traceId);
        const order = this.orders.get(op.order);
        if (op.status !== MATCHED_LABEL || !order) return;
        if (order.status === 'pending' || order.status === 'cancelled') this.credit(order);
      },
    };
  }

  private visible(actor: Actor, number: string): ModelOrder | undefined {
    const order = this.orders.get(number);
    if (!order || (actor.kind === 'user' && actor.username !== order.username)) return undefined;
    return order;
  }

  private cancel(actor: Actor, number: string): Step {
    const order = this.visible(actor, number);
    if (!order) return { expected: failed(404, 'order_not_found'), commit: noEffect };
    const expected = { status: 200, body: { status: 'success', msg: '주문이 취소되었습니다' } };
    if (order.status === 'cancelled') return { expected, commit: noEffect };
    if (order.status !== 'pending') return { expected: failed(409, 'invalid_state'), commit: noEffect };
    return {
      expected,
      commit: () => {
        order.status = 'cancelled';
        order.cancelReason = actor.kind === 'admin' ? 'admin' : 'user';
      },
    };
  }

  private orderAnswer(order: ModelOrder, patch: Partial<ModelOrder>): Seen {
    const after = { ...order, ...patch };
    return { status: 200, body: { status: 'success', order: adminView(after) } };
  }

  private complete(number: string, memo: string | null): Step {
    const order = this.orders.get(number);
    if (!order) return { expected: failed(404, 'order_not_found'), commit: noEffect };
    if (order.status === 'completed') return { expected: this.orderAnswer(order, {}), commit: noEffect };
    if (order.status !== 'matched') return { expected: failed(409, 'invalid_state'), commit: noEffect };
    const patch: Partial<ModelOrder> = { status: 'completed', ...(memo !== null ? { memo } : {}) };
    return { expected: this.orderAnswer(order, patch), commit: () => Object.assign(order, patch) };
  }

  private match(number: string): Step {
    const order = this.orders.get(number);
    if (!order) return { expected: failed(404, 'order_not_found'), commit: noEffect };
    if (order.status === 'matched' || order.status === 'completed')
      return { expected: failed(409, 'invalid_state'), commit: noEffect };
    const patch = { status: 'matched' as const, lateMatch: order.status === 'cancelled' };
    return { expected: this.orderAnswer(order, patch), commit: () => this.credit(order) };
  }

  /** `body` is the number of orders the expiry runs together cancelled. */
  private expire(advanceMs: number): Step {
    const now = this.nowMs + advanceMs;
    const due = [...this.orders.values()].filter((o) => o.status === 'pending' && o.expiresAt <= now);
    return {
      expected: { status: 200, body: { expired: due.length, excludeFailed: 0 } },
      commit: () => {
        this.nowMs = now;
        for (const o of due) {
          o.status = 'cancelled';
          o.cancelReason = 'expired';
        }
      },
    };
  }

  private readable(actor: Actor, username: string): Seen | undefined {
    if (actor.kind === 'user' && actor.username !== username) return failed(403, 'forbidden');
    if (!this.balances.has(username)) return failed(404, 'user_not_found');
    return undefined;
  }

  /** `body` is the user's orders as a set (sorted by number): the model cannot know their ids. */
  private history(actor: Actor, username: string): Step {
    const refused = this.readable(actor, username);
    if (refused) return { expected: refused, commit: noEffect };
    const items = this.ordersOf(username)
      .map((o) => ({ order_number: o.number, amount: o.amount, status: LABEL[o.status] }))
      .sort(byNumber);
    return { expected: { status: 200, body: items }, commit: noEffect };
  }

  private settled(username: string): Step {
    const items = this.ordersOf(username)
      .filter((o) => o.status === 'matched' || o.status === 'completed')
      .map((o) => ({
        order_number: o.number,
        amount: o.amount,
        status: LABEL[o.status],
        username: o.username,
        billing_name: o.billingName,
      }))
      .sort(byNumber);
    return { expected: { status: 200, body: items }, commit: noEffect };
  }

  private balance(actor: Actor, username: string): Step {
    const refused = this.readable(actor, username);
    if (refused) return { expected: refused, commit: noEffect };
    return { expected: { status: 200, body: { balance: this.balances.get(username) } }, commit: noEffect };
  }
}

export const keyOf = (billingName: string, amount: number) => `${billingName}|${amount}`;
const pendingKey = (o: ModelOrder) => keyOf(o.billingName, o.amount);
export const byNumber = (a: { order_number: string }, b: { order_number: string }) =>
  a.order_number < b.order_number ? -1 : a.order_number > b.order_number ? 1 : 0;

/** The fields of `/admin/orders` the model knows. */
export function adminView(o: ModelOrder) {
  return {
    order_number: o.number,
    username: o.username,
    billing_name: o.billingName,
    amount: o.amount,
    status: LABEL[o.status],
    cancel_reason: o.cancelReason,
    late_match: o.lateMatch,
    memo: o.memo,
  };
}

/**
 * What an operation may touch. Operations with disjoint footprints commute, so a burst of them may
 * run concurrently and still be checked against the model applied one after another.
 */
export function footprint(model: Model, op: Op): string[] {
  const ofOrder = (number: string) => {
    const o = model.orders.get(number);
    return o ? [`user:${o.username}`, `key:${pendingKey(o)}`, `order:${o.number}`] : [];
  };
  switch (op.kind) {
    case 'createUser':
      return [`user:${op.username}`];
    case 'deposit': {
      const { body, nameKey } = op.deposit;
      const out = [`user:${body.username}`];
      if (nameKey !== null && typeof body.amount === 'number') out.push(`key:${keyOf(nameKey, body.amount)}`);
      if (op.idempotencyKey !== null) out.push(`idem:${scopeOf(op.actor)}|${op.idempotencyKey}`);
      return out;
    }
    case 'webhook':
      if (op.traceId !== null && model.traces.has(op.traceId)) return [];
      return ofOrder(op.order);
    case 'cancel':
    case 'complete':
    case 'match':
      return ofOrder(op.order);
    case 'expire':
      return ['everything'];
    case 'history':
    case 'balance':
    case 'settled':
      return [`user:${op.username}`];
  }
}

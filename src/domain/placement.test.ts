import { describe, expect, it } from 'vitest';
import type { Order } from '../orders/orders.repository.js';
import type { Placement } from '../orders/placement.js';
import type { User } from '../users/users.repository.js';
import { planPlacements } from './placement.js';

const user = (id: number, username: string): User => ({
  id,
  username,
  balance: 0,
  walletAddress: null,
  createdAt: 0,
});
const kim = user(1, 'kim');
const lee = user(2, 'lee');
const users = new Map([kim, lee].map((u) => [u.username, u]));

let numbers = 0;
const request = (username: string, billingName: string, amount: number): Placement => ({
  actor: { kind: 'user', id: username },
  username,
  billingName,
  amount,
  orderNumber: `N${++numbers}`,
  nowMs: 1000,
  expiresAt: 2000,
});

const pendingOrder = (owner: User, billingName: string, amount: number): Order => ({
  id: 77,
  orderNumber: 'HELD',
  userId: owner.id,
  username: owner.username,
  walletAddress: null,
  billingName,
  amount,
  status: 'pending',
  cancelReason: null,
  lateMatch: false,
  memo: null,
  createdAt: 0,
  expiresAt: 1,
  registeredAt: 0,
  matchedAt: null,
  completedAt: null,
  cancelledAt: null,
});

const plan = (
  requests: Placement[],
  pending = new Map<number, number>(),
  holders = new Map<string, Order>(),
) => planPlacements(requests, users, pending, holders, 3);

describe('planPlacements', () => {
  it('stores a new order for each distinct request of a known user', () => {
    const { decisions, inserts } = plan([request('kim', '김', 1000), request('lee', '이', 1000)]);
    expect(decisions).toEqual([
      { kind: 'new', insert: 0 },
      { kind: 'new', insert: 1 },
    ]);
    expect(inserts.map((o) => [o.user.id, o.pendingKey])).toEqual([
      [1, '김|1000'],
      [2, '이|1000'],
    ]);
  });

  it('answers an unknown user with no_user and goes on with the rest', () => {
    const { decisions, inserts } = plan([request('nobody', '김', 1000), request('kim', '김', 1000)]);
    expect(decisions).toEqual([{ kind: 'no_user' }, { kind: 'new', insert: 0 }]);
    expect(inserts).toHaveLength(1);
  });

  it("gives a user's identical request the order stored before, or the one stored earlier in the batch", () => {
    const held = pendingOrder(kim, '김', 1000);
    const found = plan([request('kim', '김', 1000)], new Map([[1, 1]]), new Map([['김|1000', held]]));
    expect(found.decisions).toEqual([{ kind: 'found', order: held }]);
    expect(found.inserts).toHaveLength(0);

    const same = plan([request('kim', '김', 2000), request('kim', '김', 2000)]);
    expect(same.decisions).toEqual([
      { kind: 'new', insert: 0 },
      { kind: 'same_as_new', insert: 0 },
    ]);
  });

  it('refuses a name + amount pending for another user, stored before or earlier in the batch', () => {
    const held = pendingOrder(kim, '김', 1000);
    const before = plan([request('lee', '김', 1000)], new Map(), new Map([['김|1000', held]]));
    expect(before.decisions).toEqual([{ kind: 'refused', code: 'ambiguous_match' }]);

    const inBatch = plan([request('lee', '박', 3000), request('kim', '박', 3000)]);
    expect(inBatch.decisions).toEqual([
      { kind: 'new', insert: 0 },
      { kind: 'refused', code: 'ambiguous_match' },
    ]);
    expect(inBatch.inserts).toHaveLength(1);
  });

  it('counts the orders stored earlier in the batch against the pending limit', () => {
    const { decisions, inserts } = plan(
      [request('kim', '김', 1), request('kim', '김', 2), request('lee', '이', 1), request('kim', '김', 3)],
      new Map([[1, 1]]),
    );
    expect(decisions.map((d) => d.kind)).toEqual(['new', 'new', 'new', 'refused']);
    expect(decisions[3]).toEqual({ kind: 'refused', code: 'too_many_pending' });
    expect(inserts.map((o) => o.amount)).toEqual([1, 2, 1]);
  });

  it('gives an identical request its order even when the user is at the limit', () => {
    const held = pendingOrder(kim, '김', 1000);
    const { decisions } = plan([request('kim', '김', 1000)], new Map([[1, 3]]), new Map([['김|1000', held]]));
    expect(decisions).toEqual([{ kind: 'found', order: held }]);
  });
});

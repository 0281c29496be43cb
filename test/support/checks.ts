import { expect } from 'vitest';
import type { ApiResponse, Harness } from './harness.js';

/** Shared assertions for the HTTP contract suites: the error shape and "nothing changed". */

const HANGUL = /[\uAC00-\uD7A3]/;
const SNAKE_CASE = /^[a-z]+(_[a-z]+)*$/;

/** A failure in the spec's shape: `{status: "fail", msg: <Korean>, code: <snake_case>}`. */
export function expectFail(res: ApiResponse, status: number, code?: string | readonly string[]): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status: 'fail' } });
  expect(res.body.msg).toEqual(expect.stringMatching(HANGUL));
  expect(res.body.code).toEqual(expect.stringMatching(SNAKE_CASE));
  if (typeof code === 'string') expect(res.body.code).toBe(code);
  else if (code !== undefined) expect(code).toContain(res.body.code);
  // Never a stack trace or SQL in a response.
  expect(JSON.stringify(res.body)).not.toMatch(
    /\bat .+:\d+:\d+|SELECT |INSERT |UPDATE |sqlite|mysql|postgres/i,
  );
}

export interface StateSnapshot {
  orders: unknown;
  users: unknown;
  summary: unknown;
  payactionCalls: number;
}

/** Everything a request could change that the API shows: orders, users and balances, Payaction calls. */
export async function snapshot(h: Harness): Promise<StateSnapshot> {
  const [orders, users, summary] = await Promise.all([
    h.api('GET', '/admin/orders?limit=1000'),
    h.api('GET', '/admin/users?limit=1000'),
    h.api('GET', '/admin/summary'),
  ]);
  expect([orders.status, users.status, summary.status]).toEqual([200, 200, 200]);
  return {
    orders: orders.body,
    users: users.body,
    summary: summary.body,
    payactionCalls: h.stub.calls.length,
  };
}

/** Runs `request` and checks that it changed nothing at all; returns its response. */
export async function withoutChanges(h: Harness, request: () => Promise<ApiResponse>): Promise<ApiResponse> {
  const before = await snapshot(h);
  const res = await request();
  expect(await snapshot(h)).toEqual(before);
  return res;
}

/** Cancels an order as the admin, so a user's pending slots do not run out between cases. */
export async function cancelAsAdmin(h: Harness, orderNumber: unknown): Promise<void> {
  const res = await h.api('POST', '/cancel-order', { body: { order_number: orderNumber } });
  expect(res.status).toBe(200);
}

export interface OrderRow {
  order_number: string;
  username: string;
  amount: number;
  status: string;
  billing_name: string;
  cancel_reason: string | null;
}

/** Every order of one user, newest first, as the admin sees them. */
export async function ordersOf(h: Harness, username: string): Promise<OrderRow[]> {
  const res = await h.api('GET', `/admin/orders?limit=1000&username=${encodeURIComponent(username)}`);
  expect(res.status).toBe(200);
  return res.body.orders as OrderRow[];
}

import { expect } from 'vitest';
import type { ApiResponse, Harness } from './harness.js';

/** The JSON shapes of the list endpoints, as the contract (SPEC.md) names them. */
export interface HistoryItem {
  order_number: string;
  amount: number;
  date: string;
  status: string;
}

export interface DepositItem extends HistoryItem {
  username: string;
  billing_name: string;
  wallet_address: string | null;
}

export interface AdminOrderItem extends DepositItem {
  cancel_reason: string | null;
  late_match: boolean;
  registered: boolean;
  memo: string | null;
  matched_at: string | null;
  cancelled_at: string | null;
}

export interface UserItem {
  username: string;
  balance: number;
  wallet_address: string | null;
  created_at: string;
}

/** The list endpoints and the field that carries their rows. */
export const LIST_FIELDS = {
  '/transaction-history': 'transactions',
  '/admin/orders': 'orders',
  '/admin/transactions': 'deposits',
  '/admin/users': 'users',
} as const;

function listField(path: string): string {
  const bare = path.split('?', 1)[0] ?? path;
  const base = Object.keys(LIST_FIELDS).find((p) => bare === p || bare.startsWith(`${p}/`));
  if (base === undefined) throw new Error(`not a list endpoint: ${path}`);
  return LIST_FIELDS[base as keyof typeof LIST_FIELDS];
}

function withQuery(path: string, params: Record<string, string>): string {
  const [base, query] = path.split('?', 2);
  const search = new URLSearchParams(query);
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  return `${base}?${search.toString()}`;
}

/** One page of a list endpoint, checked for the page shape. */
export async function getPage<T>(
  h: Harness,
  path: string,
  options: { token?: string } = {},
): Promise<{ items: T[]; nextCursor: string | null; res: ApiResponse }> {
  const res = await h.api('GET', path, options.token ? { token: options.token } : {});
  expect(res.status, `GET ${path}: ${JSON.stringify(res.body)}`).toBe(200);
  expect(res.body.status).toBe('success');
  const items = res.body[listField(path)];
  expect(Array.isArray(items), `${path} carries its rows`).toBe(true);
  const next = res.body.next_cursor;
  expect(next === null || typeof next === 'string', `next_cursor of ${path}`).toBe(true);
  return { items: items as T[], nextCursor: next as string | null, res };
}

/**
 * Follows `next_cursor` from the first page to the last. Every page but the last is full, the last
 * says `next_cursor: null`. `between` runs after each page (to change data while paging).
 */
export async function pageThrough<T>(
  h: Harness,
  path: string,
  limit: number,
  options: { token?: string; between?: (page: number) => Promise<void> } = {},
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 1; ; page++) {
    if (page > 10_000) throw new Error(`${path}: paging does not end`);
    const params: Record<string, string> = { limit: String(limit) };
    if (cursor !== null) params.cursor = cursor;
    const got: { items: T[]; nextCursor: string | null } = await getPage<T>(
      h,
      withQuery(path, params),
      options,
    );
    expect(got.items.length, `page ${page} of ${path}`).toBeLessThanOrEqual(limit);
    items.push(...got.items);
    if (got.nextCursor === null) return { items, pages: page };
    expect(got.items.length, `page ${page} of ${path} is full when another follows`).toBe(limit);
    cursor = got.nextCursor;
    await options.between?.(page);
  }
}

/** Every order of one user as operators see it, newest first. */
export async function adminOrdersOf(h: Harness, username: string): Promise<AdminOrderItem[]> {
  const { items } = await getPage<AdminOrderItem>(
    h,
    `/admin/orders?username=${encodeURIComponent(username)}&limit=1000`,
  );
  return items;
}

/** One order as operators see it. */
export async function adminOrder(h: Harness, username: string, orderNumber: string): Promise<AdminOrderItem> {
  const found = (await adminOrdersOf(h, username)).find((o) => o.order_number === orderNumber);
  if (!found) throw new Error(`order ${orderNumber} of ${username} not in /admin/orders`);
  return found;
}

/** A deposit that must succeed; returns its order number. */
export async function placeDeposit(
  h: Harness,
  username: string,
  billingName: string,
  amount: number,
): Promise<string> {
  const res = await h.deposit(username, billingName, amount);
  if (res.status !== 200) {
    throw new Error(
      `deposit ${username} ${billingName} ${amount}: ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  return res.body.order_number as string;
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import { tokenFromHash } from '../lib/token.js';

/**
 * The user's token lives in this tab only (sessionStorage) and leaves the address bar at once, so
 * it is not kept in history or shown over a shoulder. The order being paid is kept too, so a
 * reload shows it again.
 */
const TOKEN_KEY = 'dg.token';
const orderKey = (username: string) => `dg.order.${username}`;

export function takeToken(): string | undefined {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash !== undefined) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The answer of `POST /deposit-request`, plus the status the page last saw. */
export interface ActiveOrder {
  order_number: string;
  bank: string;
  account: string;
  account_holder: string;
  amount: number;
  billing_name: string;
  expires_at: string;
  status: string;
}

export function loadOrder(username: string): ActiveOrder | undefined {
  try {
    const raw = sessionStorage.getItem(orderKey(username));
    return raw ? (JSON.parse(raw) as ActiveOrder) : undefined;
  } catch {
    return undefined;
  }
}

export function saveOrder(username: string, order: ActiveOrder | undefined): void {
  if (order) sessionStorage.setItem(orderKey(username), JSON.stringify(order));
  else sessionStorage.removeItem(orderKey(username));
}

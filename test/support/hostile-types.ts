import type { Encoding } from './hostile.js';

/**
 * One generated request, as plain data (fast-check prints it when a property fails). Users and
 * orders are referred to by a pick into what the run has seen so far, and resolved at send time.
 */
export type Ref = { t: 'user'; pick: number } | { t: 'order'; pick: number; recent: boolean };
export type Slot = { t: 'json'; text: string } | { t: 'ref'; ref: Ref };
export type Segment = { t: 'ref'; ref: Ref } | { t: 'raw'; raw: string };
export type BodySpec = { t: 'none' } | { t: 'object'; pairs: [string, Slot][] } | { t: 'raw'; text: string };

export const FORGERIES = [
  'bad-signature',
  'alg-none',
  'hs512',
  'no-exp',
  'no-sub',
  'tampered',
  'sub-invalid',
] as const;
export type Forgery = (typeof FORGERIES)[number];

export type AuthSpec =
  | { t: 'none' }
  | { t: 'admin' }
  /** The user the request is about (the target username or the order's owner). */
  | { t: 'owner' }
  | { t: 'user'; pick: number }
  | { t: 'expired' }
  | { t: 'forged'; how: Forgery }
  /** An Authorization header that is never valid; `<admin>` and `<jwt>` are filled in. */
  | { t: 'header'; value: string };

export const WEBHOOK_AUTHS = [
  'valid',
  'none',
  'wrong-key',
  'wrong-mall',
  'key-only',
  'case',
  'duplicate',
] as const;
export type WebhookAuth = (typeof WEBHOOK_AUTHS)[number];

export const ENDPOINTS = {
  deposit: { method: 'POST', access: 'user' },
  cancel: { method: 'POST', access: 'user' },
  history: { method: 'GET', access: 'user' },
  adminTransactions: { method: 'GET', access: 'admin' },
  user: { method: 'GET', access: 'user' },
  createUser: { method: 'POST', access: 'admin' },
  listUsers: { method: 'GET', access: 'admin' },
  patchUser: { method: 'PATCH', access: 'admin' },
  adminOrders: { method: 'GET', access: 'admin' },
  complete: { method: 'POST', access: 'admin' },
  match: { method: 'POST', access: 'admin' },
  summary: { method: 'GET', access: 'admin' },
  webhook: { method: 'POST', access: 'webhook' },
} as const;
export type EndpointName = keyof typeof ENDPOINTS;

export interface HostileCase {
  endpoint: EndpointName;
  method: string;
  segment: Segment | null;
  /** Raw query string without `?`; empty for none. */
  query: string;
  auth: AuthSpec;
  webhook: WebhookAuth;
  traceId: string | null;
  body: BodySpec;
  encoding: Encoding;
  contentType: string | null;
  idempotencyKey: string | null;
  extraHeaders: [string, string][];
}

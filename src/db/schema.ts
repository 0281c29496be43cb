import type { Generated, Insertable, Selectable } from 'kysely';
import type { ActorKind, CancelReason, LedgerReason, OrderStatus } from '../domain/order.js';

/** Tables as Kysely sees them. Times are UTC epoch milliseconds; money is whole won (BIGINT). */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  balance: Generated<number>;
  wallet_address: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrdersTable {
  id: Generated<number>;
  order_number: string;
  user_id: number;
  billing_name: string;
  amount: number;
  status: OrderStatus;
  /** `billing_name|amount` while pending, else null: unique, so two pending orders can never look alike to Payaction. */
  pending_key: string | null;
  cancel_reason: CancelReason | null;
  late_match: Generated<number>;
  memo: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
  registered_at: number | null;
  matched_at: number | null;
  completed_at: number | null;
  cancelled_at: number | null;
  /** An instance working on this order (expiry) holds it until this time. */
  claimed_until: Generated<number | null>;
}

export interface LedgerTable {
  id: Generated<number>;
  user_id: number;
  order_id: number;
  amount: number;
  balance_after: number;
  reason: LedgerReason;
  created_at: number;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  trace_id: string | null;
  order_number: string;
  order_status: string;
  processing_date: string | null;
  outcome: string;
  received_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  actor_kind: ActorKind;
  actor_id: string;
  action: string;
  order_id: number | null;
  user_id: number | null;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  created_at: number;
}

export interface IdempotencyKeysTable {
  id: Generated<number>;
  scope: string;
  idem_key: string;
  request_hash: string;
  state: 'running' | 'done';
  response_status: number | null;
  response_body: string | null;
  created_at: number;
}

export interface Database {
  users: UsersTable;
  orders: OrdersTable;
  ledger_entries: LedgerTable;
  webhook_events: WebhookEventsTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrderRow = Selectable<OrdersTable>;
export type NewOrder = Insertable<OrdersTable>;
export type LedgerRow = Selectable<LedgerTable>;

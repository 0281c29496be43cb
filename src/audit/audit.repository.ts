import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Actor, OrderStatus } from '../domain/order.js';

export interface AuditEntry {
  actor: Actor;
  action: string;
  orderId?: number;
  userId?: number;
  from?: OrderStatus | null;
  to?: OrderStatus | null;
  reason?: string | null;
  atMs: number;
}

/** Written in the same transaction as the change it describes, so the log never disagrees with the data. */
export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_kind: entry.actor.kind,
      actor_id: entry.actor.id.slice(0, 64),
      action: entry.action,
      order_id: entry.orderId ?? null,
      user_id: entry.userId ?? null,
      from_status: entry.from ?? null,
      to_status: entry.to ?? null,
      reason: entry.reason?.slice(0, 500) ?? null,
      created_at: entry.atMs,
    })
    .execute();
}

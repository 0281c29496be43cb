import type { Kysely } from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import type { Actor, ActorKind, OrderStatus } from '../domain/order.js';

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

const insertEntry = prepared(
  (
    db,
    p: {
      actorKind: ActorKind;
      actorId: string;
      action: string;
      orderId: number | null;
      userId: number | null;
      from: OrderStatus | null;
      to: OrderStatus | null;
      reason: string | null;
      atMs: number;
    },
  ) =>
    db.insertInto('audit_log').values({
      actor_kind: p.actorKind,
      actor_id: p.actorId,
      action: p.action,
      order_id: p.orderId,
      user_id: p.userId,
      from_status: p.from,
      to_status: p.to,
      reason: p.reason,
      created_at: p.atMs,
    }),
);

/** Written in the same transaction as the change it describes, so the log never disagrees with the data. */
export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await insertEntry(db, {
    actorKind: entry.actor.kind,
    actorId: entry.actor.id.slice(0, 64),
    action: entry.action,
    orderId: entry.orderId ?? null,
    userId: entry.userId ?? null,
    from: entry.from ?? null,
    to: entry.to ?? null,
    reason: entry.reason?.slice(0, 500) ?? null,
    atMs: entry.atMs,
  });
}

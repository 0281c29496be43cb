import type { Kysely } from 'kysely';
import { prepared, preparedShapes } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { type Statement, statement } from '../db/trips.js';
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

interface AuditParams {
  actorKind: ActorKind;
  actorId: string;
  action: string;
  orderId: number | null;
  userId: number | null;
  from: OrderStatus | null;
  to: OrderStatus | null;
  reason: string | null;
  atMs: number;
}

const auditRow = (p: AuditParams) => ({
  actor_kind: p.actorKind,
  actor_id: p.actorId,
  action: p.action,
  order_id: p.orderId,
  user_id: p.userId,
  from_status: p.from,
  to_status: p.to,
  reason: p.reason,
  created_at: p.atMs,
});

const insertEntry = prepared((db, p: AuditParams) => db.insertInto('audit_log').values(auditRow(p)));

const entryParams = (entry: AuditEntry): AuditParams => ({
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

/**
 * An audit row, as a statement to send with others: written in the same transaction as the change
 * it describes, so the log never disagrees with the data.
 */
export const auditEntry = (db: Kysely<Database>, entry: AuditEntry): Statement<void> =>
  statement(insertEntry.bound(db, entryParams(entry)), () => undefined);

// The parameters of row `i` of a many-row insert: each name with the row's number after it.
const rowParams = (p: Record<string, unknown>, i: number) =>
  new Proxy({} as AuditParams, { get: (_target, name) => p[`${String(name)}${i}`] });

const insertEntries = preparedShapes(
  ({ rows }: { rows: number }) =>
    (db: Kysely<Database>, p: Record<string, unknown>) =>
      db.insertInto('audit_log').values(Array.from({ length: rows }, (_, i) => auditRow(rowParams(p, i)))),
);

/** `auditEntry` for several entries, as one statement; none: nothing to send. */
export function auditRows(db: Kysely<Database>, entries: AuditEntry[]): Statement<void>[] {
  if (entries.length === 0) return [];
  const params: Record<string, unknown> = {};
  entries.forEach((entry, i) => {
    for (const [name, value] of Object.entries(entryParams(entry))) params[`${name}${i}`] = value;
  });
  return [statement(insertEntries({ rows: entries.length }).bound(db, params), () => undefined)];
}

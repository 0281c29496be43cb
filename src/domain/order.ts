/**
 * Order states and the only moves between them. Storage keeps the short English codes; the HTTP
 * contract shows the seed's Korean labels.
 */
export const ORDER_STATUSES = ['pending', 'matched', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const STATUS_LABELS = {
  pending: '대기중',
  matched: '매칭완료',
  completed: '완료',
  cancelled: '취소됨',
} as const satisfies Record<OrderStatus, string>;
export type StatusLabel = (typeof STATUS_LABELS)[OrderStatus];
const BY_LABEL = new Map<string, OrderStatus>(ORDER_STATUSES.map((s) => [STATUS_LABELS[s], s]));

/** Accepts the Korean label (the seed's contract) or the internal code. */
export function parseStatus(value: string): OrderStatus | undefined {
  const byLabel = BY_LABEL.get(value);
  if (byLabel !== undefined) return byLabel;
  return ORDER_STATUSES.find((s) => s === value);
}

export const CANCEL_REASONS = ['user', 'admin', 'expired', 'registration_failed'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const ACTOR_KINDS = ['admin', 'user', 'payaction', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];
export interface Actor {
  kind: ActorKind;
  id: string;
}

/**
 * Every allowed move. A cancelled order can still become matched: Payaction reporting a match means
 * the money really arrived, so it is credited and flagged as a late match.
 */
export const TRANSITIONS = {
  pending: ['matched', 'cancelled'],
  matched: ['completed'],
  completed: [],
  cancelled: ['matched'],
} as const satisfies Record<OrderStatus, readonly OrderStatus[]>;

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return (TRANSITIONS[from] as readonly OrderStatus[]).includes(to);
}

/** States from which a credit may happen; the credit path updates only from these. */
export const CREDITABLE_FROM = ORDER_STATUSES.filter((s) => canMove(s, 'matched'));

/** A credit from `from` is a late match: the order had been cancelled when its money arrived. */
export const isLateMatch = (from: OrderStatus): boolean => from === 'cancelled';

/** States whose orders carry exactly one credit in the ledger. */
export const CREDITED_STATUSES: readonly OrderStatus[] = ['matched', 'completed'];

/** The statuses the seed's admin list shows. */
export const SETTLED_STATUSES: readonly OrderStatus[] = ['matched', 'completed'];

export const LEDGER_REASONS = ['deposit'] as const;
export type LedgerReason = (typeof LEDGER_REASONS)[number];

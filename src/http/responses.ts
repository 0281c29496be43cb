import { Type } from 'typebox';
import { STATUS_LABELS } from '../domain/order.js';

/**
 * The shapes of every answer. They document the API (OpenAPI), type the handlers and serialize
 * the answers, so the three cannot drift apart.
 */
const Success = Type.Literal('success');
const KstDateTime = Type.String({
  description: 'KST, YYYY-MM-DD HH:mm:ss',
  examples: ['2026-11-28 16:30:00'],
});
const NullableKst = Type.Union([KstDateTime, Type.Null()]);
const Label = Type.Union(
  [
    Type.Literal(STATUS_LABELS.pending),
    Type.Literal(STATUS_LABELS.matched),
    Type.Literal(STATUS_LABELS.completed),
    Type.Literal(STATUS_LABELS.cancelled),
  ],
  { description: '대기중 pending, 매칭완료 matched, 완료 completed, 취소됨 cancelled' },
);
const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' });
const Won = Type.Integer({ description: 'whole won' });

export const ErrorBody = Type.Object({
  status: Type.Literal('fail'),
  msg: Type.String({ description: 'Korean, for people' }),
  code: Type.String({ description: 'snake_case, for programs' }),
  payaction_response: Type.Optional(Type.Unknown()),
  reason: Type.Optional(Type.String()),
});

export const DepositResponse = Type.Object({
  status: Success,
  bank: Type.String(),
  account: Type.String(),
  order_number: Type.String(),
  account_holder: Type.String(),
  amount: Won,
  billing_name: Type.String(),
  expires_at: Type.String({ description: 'ISO 8601 with +09:00' }),
});

export const CancelResponse = Type.Object({
  status: Success,
  msg: Type.String(),
  payaction_response: Type.Unknown({
    description: "Payaction's answer; null when the order was already cancelled",
  }),
});

export const HistoryItem = Type.Object({
  order_number: Type.String(),
  amount: Won,
  date: KstDateTime,
  status: Label,
});

export const SettledItem = Type.Object({
  ...HistoryItem.properties,
  username: Type.String(),
  billing_name: Type.String(),
  wallet_address: Type.Union([Type.String(), Type.Null()]),
});

export const AdminOrderItem = Type.Object({
  ...SettledItem.properties,
  cancel_reason: Type.Union([Type.String(), Type.Null()]),
  late_match: Type.Boolean(),
  memo: Type.Union([Type.String(), Type.Null()]),
  expires_at: KstDateTime,
  registered: Type.Boolean(),
  matched_at: NullableKst,
  completed_at: NullableKst,
  cancelled_at: NullableKst,
});

export const UserItem = Type.Object({
  username: Type.String(),
  balance: Won,
  wallet_address: Type.Union([Type.String(), Type.Null()]),
  created_at: KstDateTime,
});

const Totals = Type.Object({ count: Type.Integer(), amount: Won });
const TotalsByLabel = Type.Record(Type.String(), Totals, {
  description: 'keyed by 대기중, 매칭완료, 완료, 취소됨',
});

export const Responses = {
  deposit: DepositResponse,
  cancel: CancelResponse,
  history: Type.Object({ status: Success, transactions: Type.Array(HistoryItem), next_cursor: NextCursor }),
  settled: Type.Object({ status: Success, deposits: Type.Array(SettledItem), next_cursor: NextCursor }),
  orders: Type.Object({ status: Success, orders: Type.Array(AdminOrderItem), next_cursor: NextCursor }),
  order: Type.Object({ status: Success, order: AdminOrderItem }),
  user: Type.Object({ status: Success, user: UserItem }),
  users: Type.Object({ status: Success, users: Type.Array(UserItem), next_cursor: NextCursor }),
  summary: Type.Object({
    status: Success,
    summary: Type.Object({ total: TotalsByLabel, today: TotalsByLabel }),
  }),
  ok: Type.Object({ status: Success }),
  ready: Type.Object({ status: Success, database: Type.String() }),
} as const;

/** The response map of a route: its success shape and the error shape for everything else. */
export const answers = <S extends object>(success: S) => ({
  200: success,
  '4xx': ErrorBody,
  '5xx': ErrorBody,
});

import type { CallOptions } from '../lib/api.js';

/** A call with the admin token; a 401 signs the dashboard out. */
export type AdminRequest = <T>(
  method: string,
  path: string,
  options?: Omit<CallOptions, 'token'>,
) => Promise<T>;

/** One row of `GET /admin/orders`. */
export interface AdminOrder {
  order_number: string;
  username: string;
  amount: number;
  date: string;
  status: string;
  billing_name: string;
  wallet_address: string | null;
  cancel_reason: string | null;
  late_match: boolean;
  memo: string | null;
  expires_at: string;
  registered: boolean;
  matched_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
}

export interface AdminUser {
  username: string;
  balance: number;
  wallet_address: string | null;
  created_at: string;
}

export interface OrderFilters {
  status: string;
  username: string;
  from: string;
  to: string;
}

export const ORDER_STATUS_LABELS = ['대기중', '매칭완료', '완료', '취소됨'] as const;

export const CANCEL_REASON_TEXT: Record<string, string> = {
  user: '사용자 취소',
  admin: '관리자 취소',
  expired: '기한 만료',
  registration_failed: '페이액션 등록 실패',
};

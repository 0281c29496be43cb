/** Numbers and times as Korean readers expect them. */
const WON = new Intl.NumberFormat('ko-KR');

export const won = (amount: number): string => `${WON.format(amount)}원`;

/** "2시간 3분 4초" / "3분 4초" / "4초" until `untilMs`; "0초" once past. */
export function timeLeft(untilMs: number, nowMs: number): string {
  const total = Math.max(0, Math.floor((untilMs - nowMs) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}시간 ${m}분 ${s}초`;
  if (m > 0) return `${m}분 ${s}초`;
  return `${s}초`;
}

/** Digits only, without leading zeros: what an amount field holds. */
export const digitsOf = (text: string): string => text.replace(/\D/g, '').replace(/^0+/, '').slice(0, 12);

export const STATUS_TEXT: Record<string, string> = {
  대기중: '입금 대기중',
  매칭완료: '입금 확인됨',
  완료: '처리 완료',
  취소됨: '취소됨',
};

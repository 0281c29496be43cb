import { pagePath } from '../lib/api.js';
import { type AdminOrder, type AdminRequest, CANCEL_REASON_TEXT, type OrderFilters } from './types.js';

/**
 * Orders as CSV that Excel opens with Hangul intact: UTF-8 with a byte-order mark, CRLF lines,
 * every field quoted, and text that a spreadsheet would run as a formula defused with a leading '.
 */
const BOM = '\uFEFF';
const PAGE_LIMIT = 1000;
const PAGES_MAX = 200;

const COLUMNS: [string, (o: AdminOrder) => string | number][] = [
  ['주문번호', (o) => o.order_number],
  ['사용자', (o) => o.username],
  ['입금자명', (o) => o.billing_name],
  ['금액', (o) => o.amount],
  ['상태', (o) => o.status],
  ['요청일시', (o) => o.date],
  ['매칭일시', (o) => o.matched_at ?? ''],
  ['완료일시', (o) => o.completed_at ?? ''],
  ['취소일시', (o) => o.cancelled_at ?? ''],
  ['취소사유', (o) => (o.cancel_reason ? (CANCEL_REASON_TEXT[o.cancel_reason] ?? o.cancel_reason) : '')],
  ['늦은매칭', (o) => (o.late_match ? '예' : '')],
  ['메모', (o) => o.memo ?? ''],
  ['지갑주소', (o) => o.wallet_address ?? ''],
];

function cell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${text.replaceAll('"', '""')}"`;
}

export function ordersCsv(orders: AdminOrder[]): string {
  const lines = [COLUMNS.map(([title]) => cell(title)).join(',')];
  for (const order of orders) lines.push(COLUMNS.map(([, value]) => cell(value(order))).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

/** Every order that matches the filters, page by page. */
export async function fetchAllOrders(request: AdminRequest, filters: OrderFilters): Promise<AdminOrder[]> {
  const all: AdminOrder[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < PAGES_MAX; page++) {
    const path = pagePath('/admin/orders', {
      ...filters,
      limit: String(PAGE_LIMIT),
      cursor: cursor ?? undefined,
    });
    const answer: { orders: AdminOrder[]; next_cursor: string | null } = await request('GET', path);
    all.push(...answer.orders);
    cursor = answer.next_cursor;
    if (cursor === null) break;
  }
  return all;
}

export function downloadText(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function csvFilename(nowMs: number): string {
  const kst = new Date(nowMs + 9 * 3600 * 1000).toISOString();
  return `orders-${kst.slice(0, 10).replaceAll('-', '')}-${kst.slice(11, 16).replace(':', '')}.csv`;
}

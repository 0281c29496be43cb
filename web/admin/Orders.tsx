import { useCallback, useState } from 'preact/hooks';
import { pagePath } from '../lib/api.js';
import { won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { usePaged } from '../lib/paging.js';
import { Notice, Pager, StatusBadge } from '../lib/ui.js';
import { csvFilename, downloadText, fetchAllOrders, ordersCsv } from './csv.js';
import { type ActionKind, OrderAction } from './OrderAction.js';
import {
  type AdminOrder,
  type AdminRequest,
  CANCEL_REASON_TEXT,
  ORDER_STATUS_LABELS,
  type OrderFilters,
} from './types.js';

const PAGE_SIZE = 20;
const NO_FILTERS: OrderFilters = { status: '', username: '', from: '', to: '' };

interface OrdersProps {
  request: AdminRequest;
  changes: number;
  onChanged(): void;
}

export function Orders({ request, changes, onChanged }: OrdersProps) {
  const [draft, setDraft] = useState<OrderFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<OrderFilters>(NO_FILTERS);
  const [action, setAction] = useState<{ kind: ActionKind; order: AdminOrder } | null>(null);
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [exporting, setExporting] = useState(false);

  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const path = pagePath('/admin/orders', {
        ...filters,
        limit: String(PAGE_SIZE),
        cursor: cursor ?? undefined,
      });
      const answer = await request<{ orders: AdminOrder[]; next_cursor: string | null }>('GET', path);
      return { items: answer.orders, next: answer.next_cursor };
    },
    [request, filters, changes],
  );
  const paged = usePaged(fetchPage);

  const apply = (event: Event) => {
    event.preventDefault();
    setFilters({ ...draft, username: draft.username.trim() });
    paged.reload(true);
  };
  const exportCsv = async () => {
    setExporting(true);
    setNotice(null);
    try {
      const orders = await fetchAllOrders(request, filters);
      downloadText(csvFilename(Date.now()), ordersCsv(orders), 'text/csv;charset=utf-8');
      setNotice({ kind: 'success', text: `주문 ${orders.length}건을 CSV로 내보냈습니다.` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err, { admin: true }) });
    } finally {
      setExporting(false);
    }
  };
  const set = (key: keyof OrderFilters) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [key]: e.currentTarget.value });

  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">주문</h2>
      <form class="filters" onSubmit={apply} aria-label="주문 검색 조건">
        <label>
          상태
          <select value={draft.status} onChange={set('status')}>
            <option value="">전체</option>
            {ORDER_STATUS_LABELS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          사용자
          <input value={draft.username} onInput={set('username')} autoComplete="off" maxLength={64} />
        </label>
        <label>
          시작일
          <input type="date" value={draft.from} onInput={set('from')} />
        </label>
        <label>
          종료일
          <input type="date" value={draft.to} onInput={set('to')} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            조회
          </button>
          <button type="button" onClick={exportCsv} disabled={exporting}>
            {exporting ? '내보내는 중…' : 'CSV 내보내기'}
          </button>
        </div>
      </form>
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      {paged.error ? <Notice kind="error">{messageFor(paged.error, { admin: true })}</Notice> : null}
      <OrderTable
        orders={paged.items}
        loading={paged.loading}
        onAction={(kind, order) => setAction({ kind, order })}
      />
      <Pager label="주문" paged={paged} />
      {action && (
        <OrderAction
          kind={action.kind}
          order={action.order}
          request={request}
          onClose={() => setAction(null)}
          onDone={(text) => {
            setAction(null);
            setNotice({ kind: 'success', text });
            onChanged();
          }}
        />
      )}
    </section>
  );
}

interface OrderTableProps {
  orders: AdminOrder[];
  loading: boolean;
  onAction(kind: ActionKind, order: AdminOrder): void;
}

function OrderTable({ orders, loading, onAction }: OrderTableProps) {
  if (orders.length === 0 && !loading) return <p class="hint">조건에 맞는 주문이 없습니다.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolled region must be reachable by keyboard.
    <section class="table-wrap" tabIndex={0} aria-label="주문 목록">
      <table aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">주문번호</th>
            <th scope="col">사용자</th>
            <th scope="col">입금자명</th>
            <th scope="col">금액</th>
            <th scope="col">상태</th>
            <th scope="col">요청일시</th>
            <th scope="col">비고</th>
            <th scope="col">작업</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((o) => (
            <tr key={o.order_number}>
              <td class="mono">{o.order_number}</td>
              <td>{o.username}</td>
              <td>{o.billing_name}</td>
              <td class="num">{won(o.amount)}</td>
              <td>
                <StatusBadge status={o.status} />
              </td>
              <td class="nowrap">{o.date}</td>
              <td>
                {[
                  o.cancel_reason && (CANCEL_REASON_TEXT[o.cancel_reason] ?? o.cancel_reason),
                  o.late_match && '늦은 매칭',
                  o.memo,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </td>
              <td>
                <div class="row-actions">
                  {o.status === '대기중' && (
                    <button
                      type="button"
                      class="small"
                      aria-label={`${o.order_number} 취소`}
                      onClick={() => onAction('cancel', o)}
                    >
                      취소
                    </button>
                  )}
                  {o.status === '매칭완료' && (
                    <button
                      type="button"
                      class="small"
                      aria-label={`${o.order_number} 완료 처리`}
                      onClick={() => onAction('complete', o)}
                    >
                      완료 처리
                    </button>
                  )}
                  {(o.status === '대기중' || o.status === '취소됨') && (
                    <button
                      type="button"
                      class="small"
                      aria-label={`${o.order_number} 수동 매칭`}
                      onClick={() => onAction('match', o)}
                    >
                      수동 매칭
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

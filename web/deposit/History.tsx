import { useCallback } from 'preact/hooks';
import { won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { usePaged } from '../lib/paging.js';
import { Notice, Pager, StatusBadge } from '../lib/ui.js';
import type { UserRequest } from './Account.js';

const PAGE_SIZE = 10;

interface Transaction {
  order_number: string;
  amount: number;
  date: string;
  status: string;
}

interface HistoryProps {
  request: UserRequest;
  username: string;
  /** Changes whenever an order of this page changed, so the list is fetched again. */
  tick: number;
}

export function History({ request, username, tick }: HistoryProps) {
  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor) query.set('cursor', cursor);
      const answer = await request<{ transactions: Transaction[]; next_cursor: string | null }>(
        'GET',
        `/transaction-history/${encodeURIComponent(username)}?${query}`,
      );
      return { items: answer.transactions, next: answer.next_cursor };
    },
    [request, username, tick],
  );
  const paged = usePaged(fetchPage);

  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">입금 내역</h2>
      {paged.error ? <Notice kind="error">{messageFor(paged.error)}</Notice> : null}
      {paged.items.length === 0 && !paged.loading && !paged.error && (
        <p class="hint">아직 입금 내역이 없습니다.</p>
      )}
      <ul class="history" aria-busy={paged.loading}>
        {paged.items.map((t) => (
          <li key={t.order_number}>
            <div>
              <strong>{won(t.amount)}</strong>
              <span class="hint">{t.date}</span>
            </div>
            <div>
              <span class="mono small-text">{t.order_number}</span>
              <StatusBadge status={t.status} />
            </div>
          </li>
        ))}
      </ul>
      {(paged.hasPrev || paged.hasNext) && <Pager label="입금 내역" paged={paged} />}
    </section>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { Notice } from '../lib/ui.js';
import { type AdminRequest, ORDER_STATUS_LABELS } from './types.js';

type Totals = Record<string, { count: number; amount: number }>;

/** Counts and sums per status, today (KST) and in total. */
export function Summary({ request, changes }: { request: AdminRequest; changes: number }) {
  const [summary, setSummary] = useState<{ total: Totals; today: Totals } | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    request<{ summary: { total: Totals; today: Totals } }>('GET', '/admin/summary').then(
      (answer) => {
        setSummary(answer.summary);
        setError('');
      },
      (err: unknown) => setError(messageFor(err, { admin: true })),
    );
  }, [request, changes]);

  return (
    <section aria-labelledby="summary-title">
      <h2 id="summary-title" class="visually-hidden">
        요약
      </h2>
      <Notice kind="error">{error}</Notice>
      <ul class="cards">
        {ORDER_STATUS_LABELS.map((label) => {
          const today = summary?.today[label];
          const total = summary?.total[label];
          return (
            <li key={label} class="summary-card">
              <h3>{label}</h3>
              <p>
                <span class="hint">오늘</span> <strong>{today ? `${today.count}건` : '…'}</strong>{' '}
                {today ? won(today.amount) : ''}
              </p>
              <p>
                <span class="hint">전체</span> {total ? `${total.count}건` : '…'}{' '}
                {total ? won(total.amount) : ''}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { digitsOf, won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { Notice } from '../lib/ui.js';
import type { AdminRequest } from './types.js';

interface Transfer {
  id: number;
  billing_name: string;
  amount: number;
  received_at: string;
  result: 'matched' | 'unmatched' | 'ambiguous';
  order_number: string | null;
  candidates: string[];
}

interface TransferAnswer {
  result: Transfer['result'];
  order_number?: string;
  candidates?: string[];
}

function resultText(answer: TransferAnswer): string {
  if (answer.result === 'matched') return `주문 ${answer.order_number}에 매칭되었습니다. 웹훅이 전송됩니다.`;
  if (answer.result === 'ambiguous')
    return `같은 입금자명과 금액의 대기 주문이 여러 개입니다 (${(answer.candidates ?? []).join(', ')}). 주문 목록에서 수동 매칭하세요.`;
  return '일치하는 대기 주문이 없어 미매칭 입금으로 기록되었습니다.';
}

/** Sandbox mode only: a bank transfer arriving at the shop's account, and the ones nobody matched. */
export function SandboxPanel({ request, onChanged }: { request: AdminRequest; onChanged(): void }) {
  const [name, setName] = useState('');
  const [amountText, setAmountText] = useState('');
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [transfers, setTransfers] = useState<Transfer[] | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const answer = await request<{ transfers: Transfer[] }>('GET', '/admin/sandbox/transfers');
      setTransfers(answer.transfers);
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err, { admin: true }) });
    }
  }, [request]);
  useEffect(() => void load(), [load]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      const answer = await request<TransferAnswer>('POST', '/admin/sandbox/transfers', {
        body: { billing_name: name.trim(), amount: Number(amountText || '0') },
      });
      setNotice({ kind: 'success', text: resultText(answer) });
      onChanged();
      await load();
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err, { admin: true }) });
    } finally {
      setBusy(false);
    }
  };

  const unmatched = (transfers ?? []).filter((t) => t.result !== 'matched');
  return (
    <section aria-labelledby="sandbox-title">
      <h2 id="sandbox-title">입금 시뮬레이션 (샌드박스)</h2>
      <form class="card" onSubmit={submit} noValidate>
        <p class="hint">
          실제 은행 대신 가상의 계좌 입금을 만듭니다. 페이액션처럼 입금자명과 금액으로 매칭합니다.
        </p>
        <div class="field">
          <label for="sim-name">입금자명</label>
          <input id="sim-name" value={name} maxLength={20} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="sim-amount">금액 (원)</label>
          <input
            id="sim-amount"
            inputMode="numeric"
            value={amountText}
            onInput={(e) => setAmountText(digitsOf(e.currentTarget.value))}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          입금 보내기
        </button>
      </form>
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      <h3>미매칭 입금 {transfers ? `(${unmatched.length}건)` : ''}</h3>
      {transfers && unmatched.length === 0 && <p class="hint">매칭되지 않은 입금이 없습니다.</p>}
      <ul class="transfer-list">
        {unmatched.map((t) => (
          <li key={t.id} class="card">
            <strong>{t.billing_name}</strong> {won(t.amount)}
            <span class="hint"> · {t.received_at.replace('T', ' ').slice(0, 19)}</span>
            <p class="hint">
              {t.result === 'ambiguous' ? `후보 주문: ${t.candidates.join(', ')}` : '일치하는 대기 주문 없음'}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

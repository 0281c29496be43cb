import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey } from '../lib/api.js';
import { timeLeft, won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { CopyButton, Notice, StatusBadge } from '../lib/ui.js';
import type { UserRequest } from './Account.js';
import type { ActiveOrder } from './session.js';

/** How often a pending order's status is asked for: the page turns within 3 s of the webhook. */
export const POLL_MS = 1000;

interface OrderCardProps {
  order: ActiveOrder;
  request: UserRequest;
  username: string;
  balance: number | null;
  onChange(order: ActiveOrder): void;
  onMatched(): void;
  onClose(): void;
}

interface HistoryAnswer {
  transactions: { order_number: string; status: string }[];
}

export function OrderCard({
  order,
  request,
  username,
  balance,
  onChange,
  onMatched,
  onClose,
}: OrderCardProps) {
  const [now, setNow] = useState(Date.now());
  const [offline, setOffline] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const back = useRef<HTMLButtonElement>(null);
  const pending = order.status === '대기중';
  const expiresMs = Date.parse(order.expires_at);
  // The poll reads the latest order and callbacks without restarting its timer on every render.
  const latest = useRef({ order, onChange, onMatched });
  latest.current = { order, onChange, onMatched };

  useEffect(() => {
    if (!pending) return;
    let inFlight = false;
    const poll = async () => {
      setNow(Date.now());
      if (inFlight) return;
      inFlight = true;
      try {
        const path = `/transaction-history/${encodeURIComponent(username)}?limit=20`;
        const answer = await request<HistoryAnswer>('GET', path);
        setOffline(false);
        const { order: shown, onChange: changed, onMatched: credited } = latest.current;
        const seen = answer.transactions.find((t) => t.order_number === shown.order_number);
        if (seen && seen.status !== shown.status) {
          changed({ ...shown, status: seen.status });
          if (seen.status === '매칭완료' || seen.status === '완료') credited();
        }
      } catch (err) {
        setOffline(!(err instanceof ApiError && err.code === 'unauthorized'));
      } finally {
        inFlight = false;
      }
    };
    const timer = setInterval(poll, POLL_MS);
    return () => clearInterval(timer);
  }, [pending, request, username]);

  useEffect(() => {
    if (confirming) back.current?.focus();
  }, [confirming]);

  const cancel = async () => {
    setBusy(true);
    setError('');
    try {
      await request('POST', '/cancel-order', {
        body: { order_number: order.order_number },
        idempotencyKey: newIdempotencyKey(),
      });
      onChange({ ...order, status: '취소됨' });
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'payaction_error'
          ? '입금 확인 서비스 오류로 취소하지 못했습니다. 주문은 아직 대기 중이니 잠시 후 다시 시도해 주세요.'
          : messageFor(err),
      );
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const matched = order.status === '매칭완료' || order.status === '완료';
  return (
    <section class="card order" aria-labelledby="order-title">
      <h2 id="order-title">
        {pending ? '아래 계좌로 입금해 주세요' : matched ? '입금 완료' : '취소된 입금 요청'}
      </h2>
      <dl class="facts">
        <dt>은행</dt>
        <dd>{order.bank}</dd>
        <dt>계좌번호</dt>
        <dd>
          <span class="mono">{order.account}</span> <CopyButton value={order.account} label="계좌번호" />
        </dd>
        <dt>예금주</dt>
        <dd>{order.account_holder}</dd>
        <dt>입금액</dt>
        <dd>
          <strong>{won(order.amount)}</strong> <CopyButton value={String(order.amount)} label="입금액" />
        </dd>
        <dt>입금자명</dt>
        <dd>{order.billing_name}</dd>
        <dt>주문번호</dt>
        <dd>
          <span class="mono" data-testid="order-number">
            {order.order_number}
          </span>{' '}
          <CopyButton value={order.order_number} label="주문번호" />
        </dd>
        {pending && (
          <>
            <dt>남은 시간</dt>
            <dd>{expiresMs > now ? timeLeft(expiresMs, now) : '입금 기한이 지났습니다'}</dd>
          </>
        )}
      </dl>
      <p class="hint">금액과 입금자명이 정확히 같아야 자동으로 확인됩니다.</p>
      <div class="live" role="status" aria-live="polite" data-testid="order-status">
        <StatusBadge status={order.status} long />{' '}
        {pending && '입금을 기다리고 있습니다. 입금하면 이 화면이 자동으로 바뀝니다.'}
        {matched && `입금이 확인되었습니다. 현재 잔액은 ${balance === null ? '…' : won(balance)}입니다.`}
        {order.status === '취소됨' && '입금 요청이 취소되었습니다. 이 주문으로는 입금하지 마세요.'}
      </div>
      {offline && <Notice kind="info">서버와 연결이 잠시 끊겼습니다. 다시 연결하는 중입니다…</Notice>}
      <Notice kind="error">{error}</Notice>
      {pending && !confirming && (
        <button type="button" class="danger wide" onClick={() => setConfirming(true)}>
          입금 요청 취소
        </button>
      )}
      {pending && confirming && (
        <fieldset class="confirm">
          <legend>이 입금 요청을 취소할까요? 취소한 뒤에는 이 주문번호로 입금하지 마세요.</legend>
          <button type="button" class="danger" onClick={cancel} disabled={busy}>
            네, 취소합니다
          </button>
          <button type="button" ref={back} onClick={() => setConfirming(false)} disabled={busy}>
            돌아가기
          </button>
        </fieldset>
      )}
      {!pending && (
        <button type="button" class="primary wide" onClick={onClose}>
          새 입금 요청
        </button>
      )}
    </section>
  );
}

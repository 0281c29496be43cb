import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey } from '../lib/api.js';
import { won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { Notice } from '../lib/ui.js';
import type { AdminOrder, AdminRequest } from './types.js';

export type ActionKind = 'cancel' | 'complete' | 'match';

const ACTIONS: Record<ActionKind, { title: string; confirm: string; explain: (o: AdminOrder) => string }> = {
  cancel: {
    title: '주문 취소',
    confirm: '주문 취소',
    explain: () =>
      '페이액션에서 주문을 제외한 뒤 취소합니다. 이미 입금된 것이 확인되면 취소하지 말고 수동 매칭하세요.',
  },
  complete: {
    title: '완료 처리',
    confirm: '완료 처리',
    explain: () => '입금 확인(매칭완료)된 주문을 완료로 바꿉니다.',
  },
  match: {
    title: '수동 매칭',
    confirm: '수동 매칭',
    explain: (o) =>
      `은행 입금 내역에서 직접 확인한 입금에만 사용하세요. ${o.username}님의 잔액에 ${won(o.amount)}이 한 번 더해집니다.`,
  },
};

interface OrderActionProps {
  kind: ActionKind;
  order: AdminOrder;
  request: AdminRequest;
  onDone(message: string): void;
  onClose(): void;
}

/** A modal that confirms one action on one order; a manual match needs a reason. */
export function OrderAction({ kind, order, request, onDone, onClose }: OrderActionProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const action = ACTIONS[kind];

  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const reason = text.trim();
    if (kind === 'match' && !reason) return setError('수동 매칭 사유를 입력해 주세요.');
    setBusy(true);
    setError('');
    const path = `/admin/orders/${encodeURIComponent(order.order_number)}`;
    try {
      if (kind === 'cancel')
        await request('POST', '/cancel-order', {
          body: { order_number: order.order_number },
          idempotencyKey: newIdempotencyKey(),
        });
      if (kind === 'complete')
        await request('POST', `${path}/complete`, { body: reason ? { memo: reason } : {} });
      if (kind === 'match') await request('POST', `${path}/match`, { body: { reason } });
      onDone(`${order.order_number}: ${action.title}했습니다.`);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'payaction_error' && kind === 'cancel'
          ? '페이액션에서 주문을 제외하지 못해 취소하지 않았습니다. 주문은 대기 중입니다. 잠시 후 다시 시도해 주세요.'
          : messageFor(err, { admin: true }),
      );
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="action-title" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="action-title">{action.title}</h2>
        <dl class="facts">
          <dt>주문번호</dt>
          <dd class="mono">{order.order_number}</dd>
          <dt>사용자</dt>
          <dd>{order.username}</dd>
          <dt>입금자명</dt>
          <dd>{order.billing_name}</dd>
          <dt>금액</dt>
          <dd>{won(order.amount)}</dd>
          <dt>상태</dt>
          <dd>{order.status}</dd>
        </dl>
        <p>{action.explain(order)}</p>
        {kind !== 'cancel' && (
          <div class="field">
            <label for="action-reason">{kind === 'match' ? '사유 (필수)' : '메모 (선택)'}</label>
            <textarea
              id="action-reason"
              rows={3}
              maxLength={500}
              required={kind === 'match'}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </div>
        )}
        <Notice kind="error">{error}</Notice>
        <div class="actions">
          <button type="submit" class={kind === 'cancel' ? 'danger' : 'primary'} disabled={busy}>
            {action.confirm}
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            닫기
          </button>
        </div>
      </form>
    </dialog>
  );
}

import { useState } from 'preact/hooks';
import { newIdempotencyKey } from '../lib/api.js';
import { digitsOf, won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import type { PageSettings } from '../lib/settings.js';
import { Notice } from '../lib/ui.js';
import type { UserRequest } from './Account.js';
import type { ActiveOrder } from './session.js';

const QUICK_AMOUNTS = [
  { amount: 10_000, label: '+1만' },
  { amount: 50_000, label: '+5만' },
  { amount: 100_000, label: '+10만' },
  { amount: 500_000, label: '+50만' },
];
// The service's rule (src/domain/input.ts): Hangul, Latin letters, digits, space and ( ) . -
const BILLING_NAME_RE = /^[\uAC00-\uD7A3A-Za-z0-9 ().-]{1,20}$/;

interface DepositFormProps {
  request: UserRequest;
  username: string;
  settings: PageSettings;
  onCreated(order: ActiveOrder): void;
}

export function DepositForm({ request, username, settings, onCreated }: DepositFormProps) {
  const [amountText, setAmountText] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<{ amount?: string; name?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const amount = amountText === '' ? 0 : Number(amountText);
  const range = `${won(settings.minAmount)} ~ ${won(settings.maxAmount)}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    const billingName = name.normalize('NFC').trim();
    const found: typeof errors = {};
    if (amount < settings.minAmount || amount > settings.maxAmount)
      found.amount = `입금액은 ${range} 사이로 입력해 주세요.`;
    if (!BILLING_NAME_RE.test(billingName))
      found.name = '입금자명은 한글·영문·숫자·공백과 ( ) . - 만 써서 20자까지 입력해 주세요.';
    setErrors(found);
    if (found.amount || found.name) return;
    setBusy(true);
    try {
      const answer = await request<Omit<ActiveOrder, 'status'>>('POST', '/deposit-request', {
        body: { username, billing_name: billingName, amount },
        idempotencyKey: newIdempotencyKey(),
      });
      onCreated({ ...answer, status: '대기중' });
    } catch (err) {
      setErrors({ form: messageFor(err, settings) });
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="deposit-title">
      <h2 id="deposit-title">입금 요청</h2>
      <div class="field">
        <label for="amount">입금액 (원)</label>
        <input
          id="amount"
          name="amount"
          inputMode="numeric"
          autoComplete="off"
          placeholder="예: 50000"
          value={amountText}
          onInput={(e) => setAmountText(digitsOf(e.currentTarget.value))}
          aria-invalid={errors.amount ? 'true' : undefined}
          aria-describedby="amount-hint amount-error"
        />
        <p id="amount-hint" class="hint">
          {amount > 0 ? `${won(amount)} · ` : ''}
          {range}
        </p>
        <fieldset class="quick">
          <legend class="visually-hidden">금액 빠르게 더하기</legend>
          {QUICK_AMOUNTS.map((q) => (
            <button
              key={q.amount}
              type="button"
              aria-label={`${won(q.amount)} 더하기`}
              onClick={() => setAmountText(String(Math.min(amount + q.amount, settings.maxAmount)))}
            >
              {q.label}
            </button>
          ))}
          <button type="button" onClick={() => setAmountText('')} aria-label="입금액 지우기">
            지우기
          </button>
        </fieldset>
        <p id="amount-error" class="field-error" role="alert">
          {errors.amount}
        </p>
      </div>
      <div class="field">
        <label for="billing-name">입금자명</label>
        <input
          id="billing-name"
          name="billing_name"
          autoComplete="name"
          maxLength={20}
          placeholder="예: 홍길동"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          aria-invalid={errors.name ? 'true' : undefined}
          aria-describedby="name-hint name-error"
        />
        <p id="name-hint" class="hint">
          은행 앱에서 보내는 사람 이름과 똑같이 입력해야 자동으로 확인됩니다.
        </p>
        <p id="name-error" class="field-error" role="alert">
          {errors.name}
        </p>
      </div>
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? '요청 중…' : '입금 요청'}
      </button>
      <Notice kind="error">{errors.form}</Notice>
    </form>
  );
}

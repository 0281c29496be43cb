import { useCallback, useState } from 'preact/hooks';
import { pagePath } from '../lib/api.js';
import { won } from '../lib/format.js';
import { messageFor } from '../lib/messages.js';
import { usePaged } from '../lib/paging.js';
import { Notice, Pager } from '../lib/ui.js';
import type { AdminRequest, AdminUser } from './types.js';

const PAGE_SIZE = 20;

/** Users with balances and wallet addresses; a wallet address can be set, changed or cleared. */
export function Users({ request }: { request: AdminRequest }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const fetchPage = useCallback(
    async (cursor: string | null) => {
      const path = pagePath('/admin/users', { limit: String(PAGE_SIZE), cursor: cursor ?? undefined });
      const answer = await request<{ users: AdminUser[]; next_cursor: string | null }>('GET', path);
      return { items: answer.users, next: answer.next_cursor };
    },
    [request],
  );
  const paged = usePaged(fetchPage);
  const saved = (text: string) => {
    setEditing(null);
    setNotice(text);
    paged.reload();
  };

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">사용자</h2>
      <NewUser request={request} onCreated={(name) => saved(`사용자 ${name}을(를) 추가했습니다.`)} />
      <Notice kind="success">{notice}</Notice>
      {paged.error ? <Notice kind="error">{messageFor(paged.error, { admin: true })}</Notice> : null}
      <ul class="user-list" aria-busy={paged.loading}>
        {paged.items.map((u) => (
          <li key={u.username} class="card">
            <div class="user-head">
              <strong>{u.username}</strong>
              <span>
                잔액 <strong>{won(u.balance)}</strong>
              </span>
            </div>
            {editing === u.username ? (
              <WalletForm
                user={u}
                request={request}
                onSaved={() => saved(`${u.username}의 지갑 주소를 저장했습니다.`)}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <p class="wallet">
                <span class="hint">지갑 주소</span> <span class="mono">{u.wallet_address ?? '없음'}</span>{' '}
                <button
                  type="button"
                  class="small"
                  aria-label={`${u.username} 지갑 주소 수정`}
                  onClick={() => setEditing(u.username)}
                >
                  수정
                </button>
              </p>
            )}
            <p class="hint">가입 {u.created_at}</p>
          </li>
        ))}
      </ul>
      <Pager label="사용자" paged={paged} />
    </section>
  );
}

interface WalletFormProps {
  user: AdminUser;
  request: AdminRequest;
  onSaved(): void;
  onCancel(): void;
}

function WalletForm({ user, request, onSaved, onCancel }: WalletFormProps) {
  const [value, setValue] = useState(user.wallet_address ?? '');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `wallet-${user.username}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const address = value.trim();
      await request('PATCH', `/admin/users/${encodeURIComponent(user.username)}`, {
        body: { wallet_address: address === '' ? null : address },
      });
      onSaved();
    } catch (err) {
      setError(messageFor(err, { admin: true }));
      setBusy(false);
    }
  };
  return (
    <form class="wallet-form" onSubmit={submit} noValidate>
      <label for={id}>{user.username}의 지갑 주소 (비우면 삭제)</label>
      <input
        id={id}
        class="mono"
        value={value}
        maxLength={64}
        autoComplete="off"
        spellcheck={false}
        onInput={(e) => setValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={`${id}-error`}
      />
      <p id={`${id}-error`} class="field-error" role="alert">
        {error}
      </p>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          저장
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          닫기
        </button>
      </div>
    </form>
  );
}

function NewUser({ request, onCreated }: { request: AdminRequest; onCreated(username: string): void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      await request('POST', '/admin/users', { body: { username: name.trim() } });
      setName('');
      onCreated(name.trim());
    } catch (err) {
      setError(messageFor(err, { admin: true }));
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} noValidate>
      <label for="new-user">새 사용자 이름</label>
      <input
        id="new-user"
        value={name}
        maxLength={64}
        autoComplete="off"
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit">사용자 추가</button>
      <p class="field-error" role="alert">
        {error}
      </p>
    </form>
  );
}

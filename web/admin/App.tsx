import { useCallback, useState } from 'preact/hooks';
import { ApiError, type CallOptions, call } from '../lib/api.js';
import { messageFor } from '../lib/messages.js';
import type { PageSettings } from '../lib/settings.js';
import { Notice } from '../lib/ui.js';
import { Orders } from './Orders.js';
import { SandboxPanel } from './SandboxPanel.js';
import { Summary } from './Summary.js';
import type { AdminRequest } from './types.js';
import { Users } from './Users.js';

const TOKEN_KEY = 'dg.adminToken';
type Tab = 'orders' | 'users' | 'sandbox';

/** The admin dashboard at `/admin`. The admin token is kept in this tab only (sessionStorage). */
export function App({ settings }: { settings: PageSettings }) {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [signOutMessage, setSignOutMessage] = useState('');
  const signOut = useCallback((message = '') => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken('');
    setSignOutMessage(message);
  }, []);
  const signIn = (given: string) => {
    sessionStorage.setItem(TOKEN_KEY, given);
    setSignOutMessage('');
    setToken(given);
  };
  if (!token) return <SignIn message={signOutMessage} onSignIn={signIn} />;
  return <Dashboard token={token} settings={settings} onSignOut={signOut} />;
}

function SignIn({ message, onSignIn }: { message: string; onSignIn(token: string): void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const given = value.trim();
    if (!given) return setError('관리자 토큰을 입력해 주세요.');
    setBusy(true);
    setError('');
    try {
      await call('GET', '/admin/summary', { token: given });
      onSignIn(given);
    } catch (err) {
      setError(messageFor(err, { admin: true }));
      setBusy(false);
    }
  };
  return (
    <main class="page narrow">
      <h1>입금 관리자</h1>
      <form class="card" onSubmit={submit} noValidate>
        <h2>로그인</h2>
        <Notice kind="info">{message}</Notice>
        <div class="field">
          <label for="admin-token">관리자 토큰</label>
          <input
            id="admin-token"
            type="password"
            autoComplete="current-password"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-describedby="admin-token-hint"
          />
          <p id="admin-token-hint" class="hint">
            ADMIN_API_TOKEN 값입니다. 이 탭을 닫으면 잊습니다.
          </p>
        </div>
        <button type="submit" class="primary wide" disabled={busy}>
          로그인
        </button>
        <Notice kind="error">{error}</Notice>
      </form>
    </main>
  );
}

interface DashboardProps {
  token: string;
  settings: PageSettings;
  onSignOut(message?: string): void;
}

function Dashboard({ token, settings, onSignOut }: DashboardProps) {
  const [tab, setTab] = useState<Tab>('orders');
  const [changes, setChanges] = useState(0);
  const request: AdminRequest = useCallback(
    async <T,>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}) => {
      try {
        return await call<T>(method, path, { ...options, token });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'unauthorized')
          onSignOut('관리자 토큰이 더 이상 유효하지 않습니다. 다시 로그인해 주세요.');
        throw err;
      }
    },
    [token, onSignOut],
  );
  const changed = useCallback(() => setChanges((n) => n + 1), []);
  const tabs: [Tab, string][] = [
    ['orders', '주문'],
    ['users', '사용자'],
    ...(settings.sandbox ? ([['sandbox', '입금 시뮬레이션']] as [Tab, string][]) : []),
  ];

  return (
    <div class="page wide-page">
      <header class="topbar">
        <h1>입금 관리자</h1>
        <div class="actions">
          <button type="button" onClick={changed}>
            새로고침
          </button>
          <button type="button" class="link" onClick={() => onSignOut('로그아웃했습니다.')}>
            로그아웃
          </button>
        </div>
      </header>
      <Summary request={request} changes={changes} />
      <nav class="tabs" aria-label="관리 메뉴">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            aria-current={tab === id ? 'page' : undefined}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </nav>
      <main>
        {tab === 'orders' && <Orders request={request} changes={changes} onChanged={changed} />}
        {tab === 'users' && <Users request={request} />}
        {tab === 'sandbox' && <SandboxPanel request={request} onChanged={changed} />}
      </main>
    </div>
  );
}

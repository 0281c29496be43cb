import { useCallback, useState } from 'preact/hooks';
import { call } from '../lib/api.js';
import { messageFor } from '../lib/messages.js';
import type { PageSettings } from '../lib/settings.js';
import { checkUserToken } from '../lib/token.js';
import { Notice } from '../lib/ui.js';
import { Account } from './Account.js';
import { forgetToken, saveToken, takeToken } from './session.js';

type Auth = { kind: 'ok'; token: string; username: string } | { kind: 'out'; message?: string };

export const EXPIRED_MESSAGE =
  '접속 시간이 만료되었습니다. 이용 중인 서비스에서 입금 페이지를 다시 열어 주세요.';
const MALFORMED_MESSAGE =
  '접속 링크가 올바르지 않습니다. 이용 중인 서비스에서 입금 페이지를 다시 열어 주세요.';

function authOf(token: string | undefined): Auth {
  if (token === undefined || token === '') return { kind: 'out' };
  const check = checkUserToken(token, Date.now());
  if (check.ok) return { kind: 'ok', token, username: check.username };
  forgetToken();
  return { kind: 'out', message: check.reason === 'expired' ? EXPIRED_MESSAGE : MALFORMED_MESSAGE };
}

/** The deposit page: a user arrives with `#token=<JWT>` (or, in sandbox mode, signs in as the demo user). */
export function App({ settings }: { settings: PageSettings }) {
  const [auth, setAuth] = useState<Auth>(() => authOf(takeToken()));
  const signOut = useCallback((message?: string) => {
    forgetToken();
    setAuth({ kind: 'out', message });
  }, []);
  if (auth.kind === 'ok')
    return <Account token={auth.token} username={auth.username} settings={settings} onSignOut={signOut} />;
  return <SignedOut settings={settings} message={auth.message} onToken={(token) => setAuth(authOf(token))} />;
}

interface SignedOutProps {
  settings: PageSettings;
  message: string | undefined;
  onToken(token: string): void;
}

function SignedOut({ settings, message, onToken }: SignedOutProps) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const demo = async () => {
    setBusy(true);
    setError('');
    try {
      const answer = await call<{ token: string }>('POST', '/demo/token', { body: {} });
      saveToken(answer.token);
      onToken(answer.token);
    } catch (err) {
      setError(messageFor(err));
      setBusy(false);
    }
  };
  return (
    <main class="page narrow">
      <h1>무통장 입금</h1>
      <Notice kind="error">{message}</Notice>
      {!message && <p>입금하려면 이용 중인 서비스에서 제공하는 입금 링크로 접속해 주세요.</p>}
      {settings.sandbox && (
        <section class="card" aria-labelledby="demo-title">
          <h2 id="demo-title">체험 모드</h2>
          <p>실제 돈이 오가지 않는 샌드박스입니다. 데모 계정으로 입금 과정을 체험할 수 있습니다.</p>
          <button type="button" class="primary" onClick={demo} disabled={busy}>
            데모 계정으로 시작
          </button>
          <Notice kind="error">{error}</Notice>
        </section>
      )}
    </main>
  );
}

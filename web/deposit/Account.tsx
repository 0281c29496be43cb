import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, type CallOptions, call } from '../lib/api.js';
import { won } from '../lib/format.js';
import { ERROR_MESSAGES } from '../lib/messages.js';
import type { PageSettings } from '../lib/settings.js';
import { DepositForm } from './DepositForm.js';
import { History } from './History.js';
import { OrderCard } from './OrderCard.js';
import { type ActiveOrder, loadOrder, saveOrder } from './session.js';

/** A call as this user; a 401 (expired or revoked token) signs the page out with a message. */
export type UserRequest = <T>(
  method: string,
  path: string,
  options?: Omit<CallOptions, 'token'>,
) => Promise<T>;

interface AccountProps {
  token: string;
  username: string;
  settings: PageSettings;
  onSignOut(message?: string): void;
}

export function Account({ token, username, settings, onSignOut }: AccountProps) {
  const [balance, setBalance] = useState<number | null>(null);
  const [order, setOrder] = useState<ActiveOrder | undefined>(() => loadOrder(username));
  const [historyTick, setHistoryTick] = useState(0);

  const request: UserRequest = useCallback(
    async <T,>(method: string, path: string, options: Omit<CallOptions, 'token'> = {}) => {
      try {
        return await call<T>(method, path, { ...options, token });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'unauthorized') onSignOut(ERROR_MESSAGES.unauthorized);
        throw err;
      }
    },
    [token, onSignOut],
  );

  const refreshBalance = useCallback(async () => {
    try {
      const answer = await request<{ user: { balance: number } }>(
        'GET',
        `/users/${encodeURIComponent(username)}`,
      );
      setBalance(answer.user.balance);
    } catch {
      // The balance line stays as it was; the history and order card show their own errors.
    }
  }, [request, username]);

  useEffect(() => void refreshBalance(), [refreshBalance]);

  const updateOrder = (next: ActiveOrder | undefined) => {
    setOrder(next);
    saveOrder(username, next);
    setHistoryTick((t) => t + 1);
  };

  return (
    <div class="page narrow">
      <header class="topbar">
        <h1>무통장 입금</h1>
        <p class="who">
          <span>{username}님</span>
          <span>
            잔액 <strong data-testid="balance">{balance === null ? '…' : won(balance)}</strong>
          </span>
          <button type="button" class="link" onClick={() => onSignOut()}>
            나가기
          </button>
        </p>
      </header>
      <main>
        {order ? (
          <OrderCard
            order={order}
            request={request}
            username={username}
            balance={balance}
            onChange={updateOrder}
            onMatched={refreshBalance}
            onClose={() => updateOrder(undefined)}
          />
        ) : (
          <DepositForm request={request} username={username} settings={settings} onCreated={updateOrder} />
        )}
        <History request={request} username={username} tick={historyTick} />
      </main>
    </div>
  );
}

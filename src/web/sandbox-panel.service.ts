import type { Deps } from '../deps.js';
import { fail } from '../domain/errors.js';
import { normalizeBillingName } from '../domain/input.js';
import { signUserToken } from '../http/auth.js';
import { ensureUser } from '../users/users.service.js';
import { DEMO_USERNAME } from '../welcome.js';

/**
 * What the pages offer in sandbox mode only: a demo sign-in for the deposit page, and for operators
 * a simulated bank transfer and the list of transfers the embedded sandbox has seen. The browser
 * never reaches the sandbox's port; these calls go to it over HTTP from the service.
 */
export const DEMO_TOKEN_TTL_S = 60 * 60;
const SANDBOX_TIMEOUT_MS = 5000;

export type TransferResult = 'matched' | 'unmatched' | 'ambiguous';

export interface SimulatedTransfer {
  result: TransferResult;
  order_number?: string;
  candidates?: string[];
}

export interface SeenTransfer {
  id: number;
  billing_name: string;
  amount: number;
  received_at: string;
  result: TransferResult;
  order_number: string | null;
  candidates: string[];
}

export async function demoToken(
  deps: Deps,
): Promise<{ username: string; token: string; expiresInS: number }> {
  await ensureUser(deps, DEMO_USERNAME);
  const token = await signUserToken(
    deps.config.authJwtSecret,
    DEMO_USERNAME,
    DEMO_TOKEN_TTL_S,
    deps.clock.now(),
  );
  return { username: DEMO_USERNAME, token, expiresInS: DEMO_TOKEN_TTL_S };
}

/** The sandbox's answer (src/payaction/sandbox/sandbox.ts), or payaction_error when there is none. */
async function callSandbox<T>(sandboxUrl: string, init: RequestInit, field: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${sandboxUrl}/_sandbox/transfers`, {
      ...init,
      signal: AbortSignal.timeout(SANDBOX_TIMEOUT_MS),
    });
  } catch {
    throw fail('payaction_error', 'sandbox unreachable');
  }
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!res.ok || body?.status !== 'success' || body[field] === undefined)
    throw fail('payaction_error', `sandbox answered ${res.status}`);
  return body as T;
}

/** A bank transfer arriving at the shop's account, as the sandbox's matching rule sees it. */
export async function simulateTransfer(
  sandboxUrl: string,
  billingName: string,
  amount: number,
): Promise<SimulatedTransfer> {
  const name = normalizeBillingName(billingName);
  if (name === undefined) throw fail('validation_error', 'billing_name');
  const body = JSON.stringify({ billing_name: name, amount });
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
  const { result, order_number, candidates } = await callSandbox<SimulatedTransfer>(
    sandboxUrl,
    init,
    'result',
  );
  return { result, order_number, candidates };
}

export async function listTransfers(sandboxUrl: string): Promise<SeenTransfer[]> {
  const answer = await callSandbox<{ transfers: SeenTransfer[] }>(sandboxUrl, { method: 'GET' }, 'transfers');
  return answer.transfers;
}

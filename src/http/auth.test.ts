import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AuthSettings, authenticateBearer, signUserToken } from './auth.js';

const SECRET = 'a-jwt-secret-of-enough-length-for-hs256';
const T0 = Date.UTC(2026, 11, 8, 3, 0, 0);

function settings(overrides: Partial<AuthSettings> = {}): AuthSettings {
  return {
    adminApiToken: 'admin-token-0123456789',
    metricsToken: 'metrics-token-0123456789',
    jwtKey: new TextEncoder().encode(SECRET),
    mallId: 'mall',
    webhookKey: 'hook',
    ...overrides,
  };
}

const bearer = (token: string) =>
  ({ headers: { authorization: `Bearer ${token}` } }) as unknown as FastifyRequest;

describe('bearer authentication', () => {
  afterEach(() => vi.useRealTimers());

  it('accepts a remembered user token until 60 s past its exp, and not after', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const auth = settings();
    const token = await signUserToken(SECRET, 'kim', 600, T0);
    expect(await authenticateBearer(auth, bearer(token))).toEqual({ kind: 'user', id: 'kim' });
    expect(await authenticateBearer(auth, bearer(token))).toEqual({ kind: 'user', id: 'kim' });
    // Within the 60 s skew after `exp` it still holds; past it neither the cache nor jose takes it.
    vi.setSystemTime(T0 + 650_000);
    expect(await authenticateBearer(auth, bearer(token))).toEqual({ kind: 'user', id: 'kim' });
    vi.setSystemTime(T0 + 661_000);
    expect(await authenticateBearer(auth, bearer(token))).toBeNull();
  });

  it('keeps the admin and metrics tokens theirs even when they are signed user tokens too', async () => {
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    const adminApiToken = await signUserToken(SECRET, 'admin_lookalike', 600, T0);
    const metricsToken = await signUserToken(SECRET, 'metrics_lookalike', 600, T0 + 1000);
    const auth = settings({ adminApiToken, metricsToken });
    for (let i = 0; i < 2; i++) {
      expect(await authenticateBearer(auth, bearer(adminApiToken))).toEqual({ kind: 'admin', id: 'admin' });
      expect(await authenticateBearer(auth, bearer(metricsToken))).toEqual({ kind: 'system', id: 'metrics' });
    }
    // Another app's settings with the same key do not share what this one remembered.
    const other = settings({ adminApiToken: 'x'.repeat(24), metricsToken: '', jwtKey: auth.jwtKey });
    const user = await signUserToken(SECRET, 'lee', 600, T0);
    expect(await authenticateBearer(auth, bearer(user))).toEqual({ kind: 'user', id: 'lee' });
    expect(await authenticateBearer(other, bearer(adminApiToken))).toEqual({
      kind: 'user',
      id: 'admin_lookalike',
    });
    expect(await authenticateBearer(auth, bearer(adminApiToken))).toEqual({ kind: 'admin', id: 'admin' });
  });
});

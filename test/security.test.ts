import { expect, it } from 'vitest';
import { forEachDatabase, WEBHOOK_KEY } from './support/harness.js';

const RETRY_AFTER_MAX_S = 60;

forEachDatabase(
  'rate limits and request gate',
  (h) => {
    it('limits requests per credential with 429 and Retry-After', async () => {
      await h().createUser('rl_user');
      const token = await h().userToken('rl_user');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        statuses.push(
          (await h().api('GET', '/users/rl_user', { token, headers: { 'x-forwarded-for': '10.0.0.1' } }))
            .status,
        );
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const limited = await h().api('GET', '/users/rl_user', { token });
      expect(limited.body).toMatchObject({ status: 'fail', code: 'rate_limited' });
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(RETRY_AFTER_MAX_S);
      // The window passes, the credential may go on.
      h().clock.advance(61_000);
      expect((await h().api('GET', '/users/rl_user', { token })).status).toBe(200);
    });

    it('limits failed authentication harder, then refuses the address', async () => {
      h().clock.advance(61_000);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await h().api('GET', '/admin/summary', { token: 'wrong-token' })).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Even the right token is not checked from that address until the window ends.
      const blocked = await h().api('GET', '/admin/summary');
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBeTruthy();
      h().clock.advance(61_000);
      expect((await h().api('GET', '/admin/summary')).status).toBe(200);
    });

    it('never limits valid Payaction webhooks', async () => {
      h().clock.advance(61_000);
      await h().createUser('rl_webhook');
      const orders: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await h().deposit('rl_webhook', '웹훅제한', 10000 + i);
        orders.push(res.body.order_number as string);
      }
      h().clock.advance(61_000);
      // This address is now refused for anything that needs a token…
      for (let i = 0; i < 4; i++) await h().api('GET', '/admin/summary', { token: 'wrong-token' });
      expect((await h().api('GET', '/admin/summary')).status).toBe(429);
      // …but Payaction's deliveries, far above every limit, all get through.
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => h().webhook(orders[i % orders.length] as string)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      h().clock.advance(61_000);
      expect(await h().balanceOf('rl_webhook')).toBe(10000 + 10001 + 10002);
    });

    it('puts security headers on every response and keeps CORS closed to unlisted origins', async () => {
      h().clock.advance(61_000);
      for (const res of [
        await h().api('GET', '/admin/summary'),
        await h().api('GET', '/nowhere'),
        await h().api('POST', '/deposit-request', { token: null, body: {} }),
      ]) {
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      const foreign = await fetch(`${h().url}/admin/summary`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${h().url}/deposit-request`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(404);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const listed = await fetch(`${h().url}/deposit-request`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
      });
      expect(listed.status).toBe(204);
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(listed.headers.get('access-control-allow-headers')).toContain('authorization');
    });

    it('refuses oversized headers and non-JSON bodies without changing anything', async () => {
      h().clock.advance(61_000);
      const huge = await fetch(`${h().url}/admin/summary`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
      expect(huge.status).toBe(431);
      const form = await h().api('POST', '/admin/users', {
        rawBody: 'username=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
      expect(form.body).toMatchObject({ status: 'fail', code: 'unsupported_media_type' });
    });

    it('accepts webhooks only from the allowed addresses, honouring the trusted proxy', async () => {
      const body = { order_number: 'NOPE', order_status: '매칭완료' };
      const headers = { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': h().stub.mallId };
      const outside = await h().api('POST', '/webhook', {
        token: null,
        body,
        headers: { ...headers, 'x-forwarded-for': '203.0.113.9' },
      });
      expect(outside.status).toBe(403);
      const inside = await h().api('POST', '/webhook', {
        token: null,
        body,
        headers: { ...headers, 'x-forwarded-for': '198.51.100.7' },
      });
      expect(inside.status).toBe(200);
    });
  },
  {
    env: {
      RATE_LIMIT_PER_MINUTE: '5',
      RATE_LIMIT_IP_PER_MINUTE: '0',
      AUTH_FAILURES_PER_MINUTE: '3',
      CORS_ORIGINS: 'https://shop.example',
      WEBHOOK_ALLOWED_IPS: '198.51.100.0/24,127.0.0.1',
      TRUST_PROXY: '127.0.0.1',
    },
  },
);

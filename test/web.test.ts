import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../src/http/auth.js';
import { csvFilename, ordersCsv } from '../web/admin/csv.js';
import type { AdminOrder } from '../web/admin/types.js';
import { ApiError } from '../web/lib/api.js';
import { ERROR_MESSAGES, messageFor } from '../web/lib/messages.js';
import { checkUserToken } from '../web/lib/token.js';
import { startWebServer, WEB_ADMIN_TOKEN, type WebServer } from './support/web-server.js';

/** The pages as the service serves them, the sandbox-mode endpoints behind them, and their helpers. */
const admin = { authorization: `Bearer ${WEB_ADMIN_TOKEN}` };
const json = { 'content-type': 'application/json' };

describe('web pages served by the service (sandbox mode)', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await startWebServer();
  });
  afterAll(() => web?.close());

  it('serves the deposit page and the dashboard with a strict CSP and the instance settings', async () => {
    for (const path of ['/', '/admin', '/admin/']) {
      const res = await fetch(`${web.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const html = await res.text();
      expect(html).toContain('<html lang="ko">');
      expect(html).toContain('&quot;sandbox&quot;:true');
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it('serves hashed assets with long caching and refuses anything outside the assets folder', async () => {
    const html = await (await fetch(`${web.url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await fetch(`${web.url}${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
    for (const path of [
      '/assets/..%2Fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/.env',
      '/assets/missing-0000.js',
      '/assets/index.html',
    ]) {
      const refused = await fetch(`${web.url}${path}`);
      expect(refused.status, path).toBe(404);
      expect(await refused.json()).toMatchObject({ status: 'fail', code: 'not_found' });
    }
  });

  it('gives a demo sign-in that is a working user token for the demo user', async () => {
    const res = await fetch(`${web.url}/demo/token`, { method: 'POST', headers: json, body: '{}' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'success', username: 'demo' });
    const user = await fetch(`${web.url}/users/demo`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(user.status).toBe(200);
  });

  it('simulates transfers for operators only and lists what the sandbox saw', async () => {
    const body = JSON.stringify({ billing_name: '미매칭', amount: 12345 });
    const anonymous = await fetch(`${web.url}/admin/sandbox/transfers`, {
      method: 'POST',
      headers: json,
      body,
    });
    expect(anonymous.status).toBe(401);
    const userToken = await signUserToken(web.config.authJwtSecret, 'demo', 600, Date.now());
    const asUser = await fetch(`${web.url}/admin/sandbox/transfers`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${userToken}` },
      body,
    });
    expect(asUser.status).toBe(403);

    const sent = await fetch(`${web.url}/admin/sandbox/transfers`, {
      method: 'POST',
      headers: { ...json, ...admin },
      body,
    });
    expect(await sent.json()).toEqual({ status: 'success', result: 'unmatched' });
    const list = await (await fetch(`${web.url}/admin/sandbox/transfers`, { headers: admin })).json();
    expect(list.transfers[0]).toMatchObject({ billing_name: '미매칭', amount: 12345, result: 'unmatched' });

    const bad = await fetch(`${web.url}/admin/sandbox/transfers`, {
      method: 'POST',
      headers: { ...json, ...admin },
      body: JSON.stringify({ billing_name: '<b>', amount: 1000 }),
    });
    expect(bad.status).toBe(400);
  });

  it('documents the sandbox-mode endpoints, not the pages, in the API description', async () => {
    const doc = await (await fetch(`${web.url}/openapi.json`)).json();
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining(['/demo/token', '/admin/sandbox/transfers']));
    for (const page of ['/', '/admin', '/admin/', '/assets/{name}']) expect(paths).not.toContain(page);
  });
});

describe('web pages in real mode', () => {
  let web: WebServer;
  beforeAll(async () => {
    web = await startWebServer({ real: true });
  });
  afterAll(() => web?.close());

  it('serves the pages without sandbox settings and has no demo sign-in or simulated transfers', async () => {
    expect(await (await fetch(`${web.url}/`)).text()).toContain('&quot;sandbox&quot;:false');
    const demo = await fetch(`${web.url}/demo/token`, { method: 'POST', headers: json, body: '{}' });
    expect(demo.status).toBe(404);
    const transfers = await fetch(`${web.url}/admin/sandbox/transfers`, { headers: admin });
    expect(transfers.status).toBe(404);
  });
});

describe('page helpers', () => {
  it('has a Korean message for every error code the API can answer', () => {
    const table = readFileSync('src/http/errors.ts', 'utf8');
    const body = table.slice(table.indexOf('const ERROR_TABLE'), table.indexOf('} as const'));
    const codes = [...body.matchAll(/^ {2}(\w+): \[/gm)].map((m) => m[1] as string);
    expect(codes.length).toBeGreaterThan(15);
    for (const code of codes) expect(ERROR_MESSAGES[code], code).toMatch(/[가-힣]/);
  });

  it('turns validation details into advice about the field', () => {
    const checksum = new ApiError(400, 'validation_error', '입력값이 올바르지 않습니다: wallet_checksum');
    expect(messageFor(checksum, { admin: true })).toContain('체크섬');
    const amount = new ApiError(
      400,
      'validation_error',
      '입력값이 올바르지 않습니다: amount (1000–10000000)',
    );
    expect(messageFor(amount, { minAmount: 1000, maxAmount: 10_000_000 })).toContain('1,000원부터');
    expect(messageFor(new ApiError(401, 'unauthorized', ''), { admin: true })).toContain('관리자 토큰');
    expect(messageFor(new ApiError(429, 'rate_limited', '', 12))).toContain('12초');
  });

  it('writes CSV that Excel opens with Hangul intact', () => {
    const order = {
      order_number: '261128ABCDEFGHIJKLMN',
      username: 'kim',
      amount: 50000,
      date: '2026-11-28 12:00:00',
      status: '완료',
      billing_name: '-홍 "길동"',
      wallet_address: null,
      cancel_reason: null,
      late_match: false,
      memo: '줄\n바꿈, 쉼표',
      expires_at: '2026-11-29 12:00:00',
      registered: true,
      matched_at: null,
      completed_at: null,
      cancelled_at: null,
    } satisfies AdminOrder;
    const csv = ordersCsv([order]);
    expect(csv.startsWith('\uFEFF"주문번호","사용자"')).toBe(true);
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv).toContain(`"261128ABCDEFGHIJKLMN","kim","'-홍 ""길동""",50000,"완료"`);
    expect(csv).toContain('"줄\n바꿈, 쉼표"');
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csvFilename(Date.UTC(2026, 10, 28, 3, 4))).toBe('orders-20261128-1204.csv');
  });

  it('tells an expired or mangled link from a usable one without calling the service', async () => {
    const now = Date.now();
    expect(checkUserToken(await signUserToken('x'.repeat(32), 'kim', 600, now), now)).toMatchObject({
      ok: true,
      username: 'kim',
    });
    expect(checkUserToken(await signUserToken('x'.repeat(32), 'kim', -10, now), now)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(checkUserToken('not-a-token', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkUserToken('a.b.c', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});

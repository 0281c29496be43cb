import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildSandbox, type Sandbox } from '../src/payaction/sandbox/sandbox.js';
import type { WebhookTarget } from '../src/payaction/sandbox/webhook-sender.js';
import { forEachDatabase, WEBHOOK_KEY } from './support/harness.js';

const API_KEY = 'sandbox-test-api-key';
const MALL_ID = 'sandbox-test-mall';

/**
 * The whole flow over HTTP: the service registers orders with the sandbox, the sandbox simulates
 * a bank transfer and sends Payaction's webhook, through a receiver that can be told to fail.
 */
let sandbox: Sandbox;
let sandboxUrl = '';
let proxy: Server;
let proxyFailuresLeft = 0;
let serviceWebhookUrl = '';
const target: WebhookTarget = {
  url: '',
  webhookKey: WEBHOOK_KEY,
  mallId: MALL_ID,
  retryDelaysMs: [20, 40, 80],
  timeoutMs: 2000,
};

beforeAll(async () => {
  sandbox = buildSandbox({ apiKey: API_KEY, mallId: MALL_ID, webhook: target });
  sandboxUrl = await sandbox.app.listen({ host: '127.0.0.1', port: 0 });
  // The webhook receiver Payaction sees: answers 500 while told to, then forwards to the service.
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (proxyFailuresLeft > 0) {
        proxyFailuresLeft--;
        res.writeHead(500).end('unavailable');
        return;
      }
      const forwarded = await fetch(serviceWebhookUrl, {
        method: 'POST',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k.startsWith('x-') || k === 'content-type'),
        ) as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      res.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(await forwarded.text());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/webhook`;
});

afterAll(async () => {
  await sandbox.app.close();
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
});

const transfer = async (billingName: string, amount: number) => {
  const res = await fetch(`${sandboxUrl}/_sandbox/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ billing_name: billingName, amount }),
  });
  return (await res.json()) as {
    status: string;
    result: string;
    order_number?: string;
    candidates?: string[];
  };
};

forEachDatabase(
  'deposit flow through the Payaction sandbox',
  (h) => {
    beforeAll(async () => {
      serviceWebhookUrl = `${h().url}/webhook`;
      await h().createUser('sb_alice');
      await h().createUser('sb_bob');
    });

    it('credits a transfer that matches exactly one order', async () => {
      const order = await h().deposit('sb_alice', '김철수', 31000);
      expect(order.status).toBe(200);
      expect(sandbox.state.order(order.body.order_number as string)?.state).toBe('pending');
      const t = await transfer('김철수', 31000);
      expect(t).toEqual({ status: 'success', result: 'matched', order_number: order.body.order_number });
      await sandbox.idle();
      expect(await h().balanceOf('sb_alice')).toBe(31000);
      const history = await h().api('GET', '/transaction-history/sb_alice');
      expect((history.body.transactions as { status: string }[])[0]?.status).toBe('매칭완료');
      await h().expectLedgerConsistent();
    });

    it('credits nothing for an unmatched transfer', async () => {
      const before = await h().balanceOf('sb_bob');
      expect((await transfer('박영희', 12345)).result).toBe('unmatched');
      await sandbox.idle();
      expect(await h().balanceOf('sb_bob')).toBe(before);
      const listed = await fetch(`${sandboxUrl}/_sandbox/transfers`).then((r) => r.json());
      expect(listed.transfers[0]).toMatchObject({
        billing_name: '박영희',
        amount: 12345,
        result: 'unmatched',
      });
    });

    it('leaves an ambiguous transfer for manual matching and credits nothing', async () => {
      const ours = await h().deposit('sb_bob', '이영수', 42000);
      // Another order with the same name and amount, registered at Payaction by someone else.
      const other = await fetch(`${sandboxUrl}/order`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'x-mall-id': MALL_ID },
        body: JSON.stringify({
          order_number: `X${h().dialect}42000`,
          order_amount: 42000,
          order_date: '2026-11-28T12:00:00+09:00',
          billing_name: '이영수',
          orderer_name: 'someone',
        }),
      });
      expect((await other.json()).status).toBe('success');
      const t = await transfer('이영수', 42000);
      expect(t.result).toBe('ambiguous');
      expect(t.candidates).toContain(ours.body.order_number);
      await sandbox.idle();
      expect(await h().balanceOf('sb_bob')).toBe(0);
      const orders = await h().api('GET', '/admin/orders?username=sb_bob');
      expect((orders.body.orders as { status: string }[])[0]?.status).toBe('대기중');
    });

    it('credits exactly once when the receiver fails twice before succeeding', async () => {
      const order = await h().deposit('sb_alice', '최민수', 53000);
      const before = await h().balanceOf('sb_alice');
      proxyFailuresLeft = 2;
      expect((await transfer('최민수', 53000)).result).toBe('matched');
      await sandbox.idle();
      const record = sandbox.deliveries.find((d) => d.orderNumber === order.body.order_number);
      expect(record).toMatchObject({ attempts: 3, delivered: true, lastStatus: 200 });
      expect(await h().balanceOf('sb_alice')).toBe(before + 53000);
      await h().expectLedgerConsistent();
    });

    it('refuses Payaction calls with the wrong key', async () => {
      const res = await fetch(`${sandboxUrl}/order-exclude`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'wrong', 'x-mall-id': MALL_ID },
        body: JSON.stringify({ order_number: 'X' }),
      });
      expect(res.status).toBe(401);
      expect((await res.json()).status).toBe('error');
    });
  },
  {
    env: () => ({
      PAYACTION_BASE_URL: sandboxUrl,
      PAYACTION_API_KEY: API_KEY,
      PAYACTION_MALL_ID: MALL_ID,
    }),
  },
);

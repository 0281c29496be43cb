/**
 * The least a Node.js process on this machine spends per request of the service's shapes, with no
 * database, no authentication and no validation: the reference `npm run bench` sets the service's
 * figures against. FLOOR_SERVER picks the HTTP layer, `node:http` or `fastify` (no plugins, no
 * schemas, no logger). Every GET is answered with a history page of 20 items, made and serialized
 * per request; every POST has its JSON body parsed; a POST to /deposit-request also registers an
 * order with the Payaction stand-in at FLOOR_PAYACTION_URL over a kept-alive socket and answers the
 * deposit's shape, any other (a webhook delivery) answers `{"status":"success"}`. Listens on
 * 127.0.0.1 only and prints `floor-server <url>` when ready.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import Fastify from 'fastify';
import { serveAndAnnounce } from './lib/child.js';

const kind = process.env.FLOOR_SERVER ?? 'node:http';
const payaction = new URL('/order', process.env.FLOOR_PAYACTION_URL ?? 'http://127.0.0.1:9');
const payactionHeaders = {
  'content-type': 'application/json',
  'x-api-key': process.env.FLOOR_API_KEY ?? '',
  'x-mall-id': process.env.FLOOR_MALL_ID ?? '',
};
const agent = new Agent({ keepAlive: true, maxSockets: 512, scheduling: 'lifo' });

const ITEMS = 20;
let served = 0;

/** An order number of the service's shape, distinct per call. */
const orderNumber = (n: number) => `261128K3Q9Z0M2${n.toString(36).toUpperCase().padStart(6, '0')}`;

function historyPage(username: string) {
  const base = served++ * ITEMS;
  const transactions = [];
  for (let i = 0; i < ITEMS; i++) {
    transactions.push({
      order_number: orderNumber(base + i),
      amount: 10_000 + ((base + i) % 9000) * 10,
      date: '2026-11-28 16:30:00',
      status: '매칭완료',
    });
  }
  return { status: 'success', username, transactions, next_cursor: 'MTAwMDA' };
}

/** One order registration with the stand-in: the deposit's second HTTP exchange. */
function register(orderNumber: string, amount: number, billingName: string): Promise<void> {
  const body = JSON.stringify({
    order_number: orderNumber,
    order_amount: amount,
    order_date: '2026-11-28T16:30:00+09:00',
    billing_name: billingName,
    orderer_name: billingName,
  });
  return new Promise((resolve, reject) => {
    const call = request(payaction, {
      method: 'POST',
      agent,
      headers: { ...payactionHeaders, 'content-length': Buffer.byteLength(body) },
    });
    call.on('error', reject);
    call.on('response', (answer) => {
      answer.resume();
      answer.on('end', () => (answer.statusCode === 200 ? resolve() : reject(new Error('not registered'))));
    });
    call.end(body);
  });
}

type Body = { billing_name?: string; amount?: number };

async function answerPost(path: string, input: Body): Promise<object> {
  return path === '/deposit-request' ? deposit(input) : { status: 'success' };
}

async function deposit(input: Body) {
  const number = orderNumber(served++);
  const amount = input.amount ?? 0;
  const billingName = input.billing_name ?? '';
  await register(number, amount, billingName);
  return {
    status: 'success',
    bank: '국민은행',
    account: '123-456-789012',
    order_number: number,
    account_holder: '주식회사 예시',
    amount,
    billing_name: billingName,
    expires_at: '2026-11-28T17:00:00+09:00',
  };
}

function plainServer(): Server {
  const send = (res: ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return send(res, 200, historyPage(req.url ?? ''));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      answerPost(req.url ?? '', JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body).then(
        (answer) => send(res, 200, answer),
        () => send(res, 502, { status: 'error' }),
      );
    });
  });
}

async function fastifyServer(): Promise<Server> {
  const app = Fastify({ logger: false });
  app.get('/*', async (req) => historyPage(req.url));
  app.post('/*', async (req) => answerPost(req.url, req.body as Body));
  await app.ready();
  return app.server;
}

serveAndAnnounce(kind === 'fastify' ? await fastifyServer() : plainServer(), 'floor-server');

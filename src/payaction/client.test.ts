import { describe, expect, it } from 'vitest';
import { HttpPayactionClient } from './client.js';
import { type HttpPost, type PostAnswer, TransportError } from './http-post.js';

const API_KEY = 'secret-api-key-never-logged';

interface Call {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function scripted(answers: (() => Promise<PostAnswer>)[]) {
  const calls: Call[] = [];
  const post: HttpPost = (url, headers, body) => {
    calls.push({ url, headers, body });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    return next();
  };
  const client = new HttpPayactionClient({
    baseUrl: 'http://payaction.test',
    apiKey: API_KEY,
    mallId: 'mall',
    timeoutMs: 50,
    attemptsMax: 3,
    backoffBaseMs: 1,
    post,
  });
  return { client, calls };
}

const json = (status: number, body: unknown) => () => Promise.resolve({ status, text: JSON.stringify(body) });
const networkError = () => () => Promise.reject(new TransportError('connect ECONNREFUSED', false));
const order = { orderNumber: 'A1', amount: 1000, orderDateMs: 0, billingName: '홍길동', ordererName: 'u' };

describe('Payaction client', () => {
  it('sends the credentials and Payaction body fields', async () => {
    const { client, calls } = scripted([json(200, { status: 'success', response: {} })]);
    expect((await client.registerOrder(order)).ok).toBe(true);
    expect(calls[0]?.url).toBe('http://payaction.test/order');
    expect(calls[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({
      order_number: 'A1',
      order_amount: 1000,
      order_date: '1970-01-01T09:00:00+09:00',
      billing_name: '홍길동',
      orderer_name: 'u',
    });
  });

  it('retries network errors and 5xx, then succeeds', async () => {
    const { client, calls } = scripted([
      networkError(),
      json(503, { status: 'error' }),
      json(200, { status: 'success', response: { ok: 1 } }),
    ]);
    expect(await client.excludeOrder('A1')).toEqual({
      ok: true,
      response: { status: 'success', response: { ok: 1 } },
    });
    expect(calls).toHaveLength(3);
  });

  it('gives up after the bounded number of attempts', async () => {
    const { client, calls } = scripted([networkError(), networkError(), networkError()]);
    const result = await client.excludeOrder('A1');
    expect(result).toMatchObject({ ok: false, attempts: 3, detail: 'Payaction unreachable' });
    expect(calls).toHaveLength(3);
  });

  it('does not retry an error answer or a 4xx', async () => {
    const rejected = scripted([json(200, { status: 'error', response: { message: 'bad order' } })]);
    expect(await rejected.client.excludeOrder('A1')).toMatchObject({
      ok: false,
      detail: 'bad order',
      attempts: 1,
    });
    const client4xx = scripted([json(400, { status: 'error' })]);
    expect(await client4xx.client.excludeOrder('A1')).toMatchObject({ ok: false, attempts: 1 });
  });

  it('times out a hanging call and retries it', async () => {
    const hang = () => () =>
      new Promise<PostAnswer>((_resolve, reject) =>
        setTimeout(() => reject(new TransportError('timed out', true)), 60),
      );
    const { client, calls } = scripted([hang(), json(200, { status: 'success', response: {} })]);
    expect((await client.registerOrder(order)).ok).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('counts a duplicate answer to a retried registration as success, but not to a first one', async () => {
    const retried = scripted([
      json(502, {}),
      json(200, { status: 'error', response: { message: 'duplicate order_number' } }),
    ]);
    expect((await retried.client.registerOrder(order)).ok).toBe(true);
    const first = scripted([json(200, { status: 'error', response: { message: 'duplicate order_number' } })]);
    expect((await first.client.registerOrder(order)).ok).toBe(false);
  });

  it('counts a duplicate answer as success when the order is registered again', async () => {
    const again = scripted([json(200, { status: 'error', response: { message: 'duplicate order_number' } })]);
    expect((await again.client.registerOrder(order, true)).ok).toBe(true);
    expect(again.calls).toHaveLength(1);
  });

  it('never puts the API key into an error it reports', async () => {
    const { client } = scripted([networkError(), json(500, { echo: API_KEY }), json(500, {})]);
    const result = await client.registerOrder(order);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.detail).not.toContain(API_KEY);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAlivePost, TransportError } from './http-post.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('keep-alive POST against a real server', () => {
  let server: Server;
  let base = '';
  const sockets = new Set<Socket>();
  const handlers = new Map<string, Handler>();
  const post = keepAlivePost(4);

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => handlers.get(req.url ?? '')?.(req, res, body));
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends headers and body and reuses one connection for calls in sequence', async () => {
    const seen = new Set<unknown>();
    const framing: unknown[] = [];
    handlers.set('/echo', (req, res, body) => {
      seen.add(req.socket);
      const { host, connection } = req.headers;
      framing.push({
        host,
        connection,
        length: req.headers['content-length'] === String(Buffer.byteLength(body)),
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ key: req.headers['x-api-key'], body: JSON.parse(body) }));
    });
    for (let i = 0; i < 5; i++) {
      const answer = await post(
        `${base}/echo`,
        { 'x-api-key': 'k' },
        JSON.stringify({ n: i, name: '홍길동' }),
        1000,
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ key: 'k', body: { n: i, name: '홍길동' } });
    }
    expect(seen.size).toBe(1);
    // The headers node:http would write for itself from an object of headers.
    const framed = { host: new URL(base).host, connection: 'keep-alive', length: true };
    expect(framing).toEqual([framed, framed, framed, framed, framed]);
  });

  it('gives up on a server that never answers, as a timeout', async () => {
    handlers.set('/hang', () => undefined);
    const started = Date.now();
    const err = await post(`${base}/hang`, {}, '{}', 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports an answer cut off midway, and a refused connection, as network errors', async () => {
    handlers.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"status":"succ');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const cut = await post(`${base}/cut`, {}, '{}', 2000).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(TransportError);
    expect((cut as TransportError).timedOut).toBe(false);
    const refused = await post('http://127.0.0.1:1/order', {}, '{}', 2000).catch((e: unknown) => e);
    expect((refused as TransportError).timedOut).toBe(false);
  });

  it('refuses an answer larger than any Payaction answer', async () => {
    handlers.set('/huge', (_req, res) => res.end('x'.repeat(2 << 20)));
    await expect(post(`${base}/huge`, {}, '{}', 5000)).rejects.toThrow('answer too large');
  });
});

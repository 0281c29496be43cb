import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Payaction stand-in for the suite: answers `POST /order` and `POST /order-exclude` in
 * Payaction's shapes, records every call, and can be told to fail or to be slow.
 */
export type StubMode = 'ok' | 'http500' | 'error' | 'hang';

export interface StubCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export class PayactionStub {
  readonly calls: StubCall[] = [];
  readonly modes: Record<string, StubMode> = {};
  delayMs = 0;
  private server: Server | undefined;
  url = '';

  constructor(
    readonly apiKey = 'stub-api-key',
    readonly mallId = 'stub-mall-id',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => {
        raw += chunk;
      });
      req.on('end', () => void this.answer(req.url ?? '', req.headers, raw, res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async answer(
    path: string,
    headers: IncomingHttpHeaders,
    raw: string,
    res: import('node:http').ServerResponse,
  ): Promise<void> {
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    this.calls.push({ path, headers, body });
    const mode = this.modes[path] ?? 'ok';
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (mode === 'hang') return; // never answers: the client's timeout must fire
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (headers['x-api-key'] !== this.apiKey || headers['x-mall-id'] !== this.mallId) {
      return send(401, { status: 'error', response: { message: 'invalid credentials' } });
    }
    if (mode === 'http500') return send(500, { status: 'error', response: { message: 'internal error' } });
    if (mode === 'error') return send(200, { status: 'error', response: { message: 'rejected by stub' } });
    send(200, { status: 'success', response: { order_number: body.order_number } });
  }

  callsTo(path: string): StubCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

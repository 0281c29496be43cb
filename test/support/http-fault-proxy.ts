import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a Payaction stand-in that decides per call, through `choose`, how that
 * call goes wrong: slow, cut, refused, never answered, answered with half a body or with a made-up
 * rejection. It records every call it sees, whether the stand-in got it, and what the caller got.
 */
export const HTTP_FAULTS = [
  'pass',
  /** Forwarded at once; the stand-in's answer is held back `delayMs`. */
  'latency',
  /** The connection is reset before the call is forwarded. */
  'reset_before',
  /** Forwarded; the connection is reset instead of relaying the answer. */
  'reset_after',
  /** A 5xx from the proxy; not forwarded. */
  'http_5xx',
  /** Never answered; forwarded unless `forward` is false. The caller's own timeout must end it. */
  'no_answer',
  /** Forwarded; the answer is relayed with its JSON cut in half. */
  'truncated',
  /** `{"status":"error"}` with HTTP 200, as Payaction words a refusal; not forwarded. */
  'error_200',
] as const;
export type HttpFault = (typeof HTTP_FAULTS)[number];

export interface FaultPlan {
  fault: HttpFault;
  delayMs?: number;
  status?: number;
  forward?: boolean;
}

export type Delivery =
  /** The stand-in's answer, whole. */
  | 'answer'
  /** A well-formed refusal the stand-in never gave. */
  | 'fake_refusal'
  /** Nothing usable: reset, 5xx, cut JSON, no answer, or the caller had gone. */
  | 'broken'
  /** Still held (no answer yet). */
  | 'held';

export interface ProxiedCall {
  seq: number;
  path: string;
  body: Record<string, unknown>;
  plan: FaultPlan;
  /** `performance.now()` when the call arrived. */
  atMs: number;
  /** The stand-in received the call and acted on it, whatever the caller then got. */
  forwarded: boolean;
  upstreamStatus: number | null;
  upstreamText: string | null;
  delivered: Delivery;
}

export type Chooser = (path: string, body: Record<string, unknown>, seq: number) => FaultPlan;

const UPSTREAM_TIMEOUT_MS = 10_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpFaultProxy {
  readonly calls: ProxiedCall[] = [];
  url = '';
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly target: string,
    public choose: Chooser = () => ({ fault: 'pass' }),
  ) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      void this.handle(req, res).catch(() => res.destroy());
    });
    // The service keeps its connections alive between calls; an idle close by the proxy would be a
    // fault nobody chose.
    server.keepAliveTimeout = 10 * 60_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Calls to one path whose body names this order number, oldest first. */
  callsFor(path: string, orderNumber: string): ProxiedCall[] {
    return this.calls.filter((c) => c.path === path && c.body.order_number === orderNumber);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // Recorded with an empty body; the stand-in judges it.
    }
    const path = req.url ?? '';
    const seq = this.calls.length;
    const call: ProxiedCall = {
      seq,
      path,
      body,
      plan: this.choose(path, body, seq),
      atMs: performance.now(),
      forwarded: false,
      upstreamStatus: null,
      upstreamText: null,
      delivered: 'held',
    };
    this.calls.push(call);
    const { fault } = call.plan;
    const send = (status: number, text: string, delivered: Delivery) => {
      // The caller may have given up already (its timeout): then nothing reaches it.
      if (req.socket.destroyed) {
        call.delivered = 'broken';
        return;
      }
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      call.delivered = delivered;
    };
    if (fault === 'reset_before') {
      call.delivered = 'broken';
      return void req.socket.destroy();
    }
    if (fault === 'http_5xx')
      return send(call.plan.status ?? 503, '<html>Service Unavailable</html>', 'broken');
    if (fault === 'error_200') {
      return send(
        200,
        JSON.stringify({ status: 'error', response: { message: 'chaos: refused' } }),
        'fake_refusal',
      );
    }
    if (fault === 'no_answer' && call.plan.forward === false) return;

    const upstream = await this.forward(req, raw);
    call.forwarded = upstream !== undefined;
    call.upstreamStatus = upstream?.status ?? null;
    call.upstreamText = upstream?.text ?? null;
    if (!upstream) return send(502, '{}', 'broken');
    if (fault === 'no_answer') return;
    if (fault === 'reset_after') {
      call.delivered = 'broken';
      return void req.socket.destroy();
    }
    if (fault === 'truncated') {
      return send(upstream.status, upstream.text.slice(0, Math.max(1, upstream.text.length >> 1)), 'broken');
    }
    if (fault === 'latency') await sleep(call.plan.delayMs ?? 0);
    send(upstream.status, upstream.text, 'answer');
  }

  private forward(req: IncomingMessage, raw: string): Promise<{ status: number; text: string } | undefined> {
    const target = new URL(req.url ?? '/', this.target);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of ['x-api-key', 'x-mall-id']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return new Promise((resolve) => {
      const out = httpRequest(
        target,
        { method: req.method, headers, agent: this.agent, timeout: UPSTREAM_TIMEOUT_MS },
        (upstream) => {
          let text = '';
          upstream.setEncoding('utf8');
          upstream.on('data', (chunk: string) => {
            text += chunk;
          });
          upstream.on('end', () => resolve({ status: upstream.statusCode ?? 0, text }));
          upstream.on('error', () => resolve(undefined));
        },
      );
      out.on('timeout', () => out.destroy());
      out.on('error', () => resolve(undefined));
      out.end(raw);
    });
  }
}

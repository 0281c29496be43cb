import { type AppOptions, buildApp } from '../../src/app.js';
import { type ConnectOptions, connect } from '../../src/db/connect.js';
import type { ApiResponse, Harness } from './harness.js';
import { ADMIN_TOKEN, WEBHOOK_KEY } from './harness.js';

/** Another server on the harness's database: its own connection pool and its own process state. */
export interface Instance {
  url: string;
  get(path: string, headers?: Record<string, string>): Promise<ApiResponse>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  webhook(orderNumber: string, traceId: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface InstanceOptions {
  /** Another way to the same database (through a fault proxy). */
  databaseUrl?: string;
  connect?: ConnectOptions;
  app?: AppOptions;
}

export async function startInstance(h: Harness, options: InstanceOptions = {}): Promise<Instance> {
  const db = connect(options.databaseUrl ?? h.config.databaseUrl, { poolSize: 20, ...options.connect });
  const app = await buildApp({ ...h.deps, db }, options.app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
  };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const post: Instance['post'] = (path, body, headers = admin) => send('POST', path, headers, body);
  return {
    url,
    get: (path, headers = admin) => send('GET', path, headers),
    post,
    webhook: (orderNumber, traceId) =>
      post(
        '/webhook',
        { order_number: orderNumber, order_status: '매칭완료', processing_date: '2026-11-28 12:00:00' },
        { 'x-webhook-key': WEBHOOK_KEY, 'x-mall-id': h.stub.mallId, 'x-trace-id': traceId },
      ),
    async close() {
      await app.close();
      await db.close();
    },
  };
}

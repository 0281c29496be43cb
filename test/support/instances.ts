import { buildApp } from '../../src/app.js';
import { connect } from '../../src/db/connect.js';
import type { ApiResponse, Harness } from './harness.js';
import { ADMIN_TOKEN, WEBHOOK_KEY } from './harness.js';

/** Another server on the harness's database: its own connection pool and its own process state. */
export interface Instance {
  url: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  webhook(orderNumber: string, traceId: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function startInstance(h: Harness): Promise<Instance> {
  const db = connect(h.config.databaseUrl, { poolSize: 20 });
  const app = await buildApp({ ...h.deps, db });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const post: Instance['post'] = async (path, body, headers = { authorization: `Bearer ${ADMIN_TOKEN}` }) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
  };
  return {
    url,
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

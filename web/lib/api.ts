/** JSON calls to the service, with its `{status: "fail", msg, code}` answers turned into ApiError. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The server's own message, e.g. "입력값이 올바르지 않습니다: billing_name". */
    readonly serverMsg: string,
    readonly retryAfterS?: number,
  ) {
    super(serverMsg || code);
    this.name = 'ApiError';
  }

  /** What the server named after the message's colon: the offending field or the reason. */
  get detail(): string {
    const at = this.serverMsg.indexOf(': ');
    return at < 0 ? '' : this.serverMsg.slice(at + 2);
  }
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  idempotencyKey?: string;
}

function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A fresh `Idempotency-Key`: one per thing the person meant to do once. */
export const newIdempotencyKey = (): string => randomHex(16);

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  const data: unknown = await res.json().catch(() => undefined);
  const answer = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (res.ok && answer.status === 'success') return answer as T;
  const retryAfter = Number(res.headers.get('retry-after'));
  throw new ApiError(
    res.status,
    typeof answer.code === 'string'
      ? answer.code
      : res.status === 431
        ? 'headers_too_large'
        : 'internal_error',
    typeof answer.msg === 'string' ? answer.msg : '',
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/** One page of a keyset-paginated list. */
export interface PageOf<T> {
  items: T[];
  next: string | null;
}

export function pagePath(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

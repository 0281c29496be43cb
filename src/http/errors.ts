import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DomainError, type DomainErrorCode, type ErrorExtra } from '../domain/errors.js';

/** The one table from error code to HTTP status and the Korean message people read. */
const ERROR_TABLE = {
  validation_error: [400, '입력값이 올바르지 않습니다'],
  invalid_cursor: [400, '페이지 커서가 올바르지 않습니다'],
  invalid_json: [400, '요청 본문이 올바른 JSON이 아닙니다'],
  unauthorized: [401, '인증이 필요합니다'],
  forbidden: [403, '권한이 없습니다'],
  not_found: [404, '요청한 경로를 찾을 수 없습니다'],
  user_not_found: [404, '사용자를 찾을 수 없습니다'],
  order_not_found: [404, '주문을 찾을 수 없습니다'],
  user_exists: [409, '이미 존재하는 사용자입니다'],
  ambiguous_match: [
    409,
    '같은 입금자명과 금액으로 대기 중인 다른 주문이 있습니다. 금액이나 입금자명을 바꿔 주세요',
  ],
  too_many_pending: [409, '대기 중인 입금 요청이 너무 많습니다'],
  invalid_state: [409, '현재 주문 상태에서는 처리할 수 없습니다'],
  idempotency_in_progress: [409, '같은 Idempotency-Key 요청이 처리 중입니다'],
  bad_request: [400, '요청 형식이 올바르지 않습니다'],
  request_timeout: [408, '요청 시간이 초과되었습니다'],
  payload_too_large: [413, '요청 본문이 너무 큽니다'],
  uri_too_long: [414, '요청 주소가 너무 깁니다'],
  unsupported_media_type: [415, 'Content-Type은 application/json이어야 합니다'],
  idempotency_key_reused: [422, '같은 Idempotency-Key가 다른 요청에 사용되었습니다'],
  rate_limited: [429, '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요'],
  headers_too_large: [431, '요청 헤더가 너무 큽니다'],
  internal_error: [500, '서버 오류가 발생했습니다'],
  payaction_error: [502, 'PayAction API 오류'],
  database_unavailable: [503, '일시적으로 서비스를 이용할 수 없습니다'],
} as const satisfies Record<DomainErrorCode | string, readonly [number, string]>;

export type HttpErrorCode = keyof typeof ERROR_TABLE;

export interface ErrorBody extends ErrorExtra {
  status: 'fail';
  msg: string;
  code: HttpErrorCode;
}

/** An answer as data: a success body of type `B`, or the error shape. */
export interface HttpAnswer<B = never> {
  statusCode: number;
  body: B | ErrorBody;
}

export function errorAnswer(code: HttpErrorCode, detail?: string, extra?: ErrorExtra): HttpAnswer {
  const [statusCode, msg] = ERROR_TABLE[code];
  // Details name the offending field for 4xx; a 5xx never shows more than its fixed message.
  const shown = detail && statusCode < 500 ? `${msg}: ${detail}` : msg;
  return { statusCode, body: { status: 'fail', msg: shown, code, ...extra } };
}

const FASTIFY_CODES: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  // Raised by the router before any route runs (see frameworkErrors in app.ts).
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
};

function validationField(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return '';
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  return [err.validationContext, path || missing]
    .filter(Boolean)
    .join(' ')
    .replace(/^body /, '');
}

/** Maps anything thrown to an answer in the spec's error shape. Unknown errors become a fixed 500. */
export function toAnswer(err: unknown): HttpAnswer {
  if (err instanceof DomainError) return errorAnswer(err.code, err.detail, err.extra);
  const fe = err as FastifyError;
  if (fe?.validation) return errorAnswer('validation_error', validationField(fe));
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return errorAnswer(mapped);
  if (fe instanceof SyntaxError || (fe?.statusCode === 400 && !fe.code)) return errorAnswer('invalid_json');
  if (isDatabaseUnavailable(err)) return errorAnswer('database_unavailable');
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return errorAnswer(fe.statusCode === 413 ? 'payload_too_large' : 'validation_error');
  }
  return errorAnswer('internal_error');
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = toAnswer(err);
  if (answer.statusCode >= 500) request.log.error({ err }, 'request failed');
  reply.code(answer.statusCode).send(answer.body);
}

export function notFoundHandler(_request: FastifyRequest, reply: FastifyReply): void {
  const answer = errorAnswer('not_found');
  reply.code(answer.statusCode).send(answer.body);
}

const CLIENT_ERRORS: Record<string, HttpErrorCode> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

/**
 * Requests that Node refuses before Fastify sees them (malformed HTTP, headers over the limit, too
 * slow) still get the spec's error shape. The connection is closed afterwards, as Node does.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { statusCode, body } = errorAnswer(CLIENT_ERRORS[err.code ?? ''] ?? 'bad_request');
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? ''}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

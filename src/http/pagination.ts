import { fail } from '../domain/errors.js';
import type { Page, PageRequest } from '../domain/page.js';
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from './schemas.js';

/** Cursors are opaque to clients: the base64url of the last row's id. */
export function encodeCursor(id: number): string {
  return Buffer.from(`o${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = /^o([1-9][0-9]{0,15})$/.exec(text)?.[1];
  const value = id === undefined ? Number.NaN : Number(id);
  if (!Number.isSafeInteger(value)) throw fail('invalid_cursor');
  return value;
}

export function pageRequest(query: { limit?: string; cursor?: string }): PageRequest {
  const limit = query.limit === undefined ? PAGE_LIMIT_DEFAULT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT_MAX) {
    throw fail('validation_error', `limit (1–${PAGE_LIMIT_MAX})`);
  }
  return { limit, beforeId: query.cursor === undefined ? undefined : decodeCursor(query.cursor) };
}

export function nextCursor(page: Page<unknown>): string | null {
  return page.nextBeforeId === null ? null : encodeCursor(page.nextBeforeId);
}

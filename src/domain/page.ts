/** Keyset pages: ask for one row more than the limit to learn whether another page follows. */
export interface PageRequest {
  limit: number;
  beforeId?: number;
}

export interface Page<T> {
  items: T[];
  nextBeforeId: number | null;
}

export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextBeforeId: rows.length > limit && last ? last.id : null };
}

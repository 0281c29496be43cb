import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { PageOf } from './api.js';

export interface Paged<T> {
  items: T[];
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  loading: boolean;
  error: unknown;
  next(): void;
  prev(): void;
  /** Reloads the current page; `first` goes back to the first page (new filters). */
  reload(first?: boolean): void;
}

/**
 * Keyset pages: the cursors of the pages seen so far are kept, so "이전" goes back exactly.
 * `fetchPage` is called again whenever it changes identity (pass a memoised function).
 */
export function usePaged<T>(fetchPage: (cursor: string | null) => Promise<PageOf<T>>): Paged<T> {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const cursor = cursors[cursors.length - 1] ?? null;

  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    fetchPage(cursor).then(
      (page) => {
        if (call !== latest.current) return;
        setItems(page.items);
        setNext(page.next);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (call !== latest.current) return;
        setError(err);
        setLoading(false);
      },
    );
  }, [fetchPage, cursor, tick]);

  const reload = useCallback((first?: boolean) => {
    if (first) setCursors([null]);
    setTick((t) => t + 1);
  }, []);

  return {
    items,
    page: cursors.length,
    hasPrev: cursors.length > 1,
    hasNext: next !== null,
    loading,
    error,
    next: () => next !== null && setCursors((c) => [...c, next]),
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reload,
  };
}

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { copyText } from './clipboard.js';
import { STATUS_TEXT } from './format.js';
import type { Paged } from './paging.js';

/** A button that copies `value`; `label` names what is copied for screen readers. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [done, setDone] = useState<'idle' | 'copied' | 'failed'>('idle');
  const onClick = async () => {
    setDone((await copyText(value)) ? 'copied' : 'failed');
    setTimeout(() => setDone('idle'), 2000);
  };
  return (
    <span class="copy">
      <button type="button" class="small" onClick={onClick} aria-label={`${label} 복사`}>
        복사
      </button>
      <span class="copy-note" role="status">
        {done === 'copied' ? '복사됨' : done === 'failed' ? '복사하지 못했습니다' : ''}
      </span>
    </span>
  );
}

/** An error (announced at once) or an information line (announced politely). */
export function Notice({
  kind,
  children,
}: {
  kind: 'error' | 'info' | 'success';
  children: ComponentChildren;
}) {
  if (!children) return null;
  return (
    <p class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

const STATUS_CLASS: Record<string, string> = {
  대기중: 'pending',
  매칭완료: 'matched',
  완료: 'completed',
  취소됨: 'cancelled',
};

export function StatusBadge({ status, long }: { status: string; long?: boolean }) {
  return (
    <span class={`badge ${STATUS_CLASS[status] ?? ''}`}>
      {long ? (STATUS_TEXT[status] ?? status) : status}
    </span>
  );
}

export interface PagerProps {
  label: string;
  paged: Pick<Paged<unknown>, 'page' | 'hasPrev' | 'hasNext' | 'loading' | 'prev' | 'next'>;
}

export function Pager(props: PagerProps) {
  return (
    <nav class="pager" aria-label={`${props.label} 페이지`}>
      <button type="button" onClick={props.paged.prev} disabled={!props.paged.hasPrev || props.paged.loading}>
        이전
      </button>
      <span aria-live="polite">{props.paged.page}쪽</span>
      <button type="button" onClick={props.paged.next} disabled={!props.paged.hasNext || props.paged.loading}>
        다음
      </button>
    </nav>
  );
}

/** Small building blocks of the pages: status badges, pager, facts list. */
import type { Child } from 'hono/jsx';
import type { CheckStatus, RunStatus } from '../../runs/types.js';
import { formatCount, query } from './format.js';

const ICONS: Record<string, string> = {
  success: '✓', pass: '✓', warned: '⚠', warn: '⚠', blocked: '⊘', fail: '✖', failed: '✖', error: '!', queued: '…', running: '↻', skipped: '–',
};

const WORDS: Record<string, string> = {
  success: 'success', pass: 'pass', warned: 'warned', warn: 'warn', blocked: 'blocked', fail: 'fail', failed: 'failed', error: 'error', queued: 'queued', running: 'running', skipped: 'skipped',
};

/** A verdict or check status as icon + word + colour (never colour alone). */
export function StatusBadge(props: { status: RunStatus | CheckStatus | string }) {
  const s = props.status in WORDS ? props.status : 'skipped';
  return (
    <span class={`badge s-${s}`} data-status={props.status}>
      <span class="icon" aria-hidden="true">{ICONS[s]}</span>
      {WORDS[props.status] ?? props.status}
    </span>
  );
}

/** Previous/next links keeping the filters, with "51–100 of 10,000"; `empty` when nothing matched ("0–0 of 0" said nothing). */
export function Pager(props: { base: string; params: Record<string, string | undefined>; limit: number; offset: number; total: number; empty?: string }) {
  const { limit, offset, total } = props;
  // Past the end (an old link, a list that shrank): "newer" leads to the last page, not to another empty one.
  const beyond = total > 0 && offset >= total;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const prevOffset = beyond ? Math.floor((total - 1) / limit) * limit : Math.max(0, offset - limit);
  const prev = offset > 0 ? `${props.base}${query({ ...props.params, limit, offset: prevOffset })}` : null;
  const next = offset + limit < total ? `${props.base}${query({ ...props.params, limit, offset: offset + limit })}` : null;
  return (
    <nav class="pager" aria-label="pages">
      {prev ? <a href={prev} rel="prev">← newer</a> : <span class="muted">← newer</span>}
      <span>
        {total === 0 ? (props.empty ?? 'none') : beyond ? `past the last of ${formatCount(total)}` : `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)}`}
      </span>
      {next ? <a href={next} rel="next">older →</a> : <span class="muted">older →</span>}
    </nav>
  );
}

/** A definition list of label → value. */
export function Facts(props: { items: readonly (readonly [string, Child])[] }) {
  return (
    <dl class="facts">
      {props.items.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

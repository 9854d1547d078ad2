/**
 * A check result's `details` under its message on the run page: the problems of a push refused for invalid rows
 * (row, path, message) as a list, and any other fields as `key: value` lines. Both fold away (`<details>`) and are
 * bounded, so a result with thousands of problems or a long stored value keeps the page small; the whole record
 * stays in `GET /v1/runs/:id`. Everything is text, escaped by JSX.
 */
import { problemLine } from '../../guards/problem-text.js';
import { flattenJson } from './format.js';

/** At most this many problems are listed; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 100;
/** At most this many `key: value` lines of the other fields. */
const MAX_DETAIL_LINES = 40;
/** A problem's path or message, or a detail's value, is cut to this many characters. */
const MAX_TEXT = 300;

const cut = (s: string, max = MAX_TEXT) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * The problems of a result (`details.problems`), at most `MAX_PROBLEMS_SHOWN`, then how many more. A refused push
 * keeps its first problems only and counts all of them in its metrics (`problems`, `invalid_rows`): the summary
 * gives those totals, and says how many were not kept.
 */
function Problems(props: { problems: readonly unknown[]; metrics: Record<string, unknown> | null | undefined; runId: string }) {
  const { problems } = props;
  const counted = props.metrics?.problems;
  const total = typeof counted === 'number' && counted > problems.length ? counted : problems.length;
  const rows = props.metrics?.invalid_rows;
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  return (
    <details class="problems">
      <summary>
        {total} problem{total === 1 ? '' : 's'}
        {typeof rows === 'number' ? ` in ${rows} row${rows === 1 ? '' : 's'}` : ''}
        {total > problems.length ? ` (the first ${problems.length} kept)` : ''}
      </summary>
      <ul class="problems">
        {problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => (
          <li>{problemLine(p, MAX_TEXT)}</li>
        ))}
      </ul>
      {more > 0 ? (
        <p class="muted">
          and {more} more (all of them in <code>GET /v1/runs/{props.runId}</code>)
        </p>
      ) : null}
    </details>
  );
}

/** A result's details: its problems as a list, its other fields as lines; nothing when it has none. */
export function CheckDetails(props: { details: Record<string, unknown> | null | undefined; metrics?: Record<string, unknown> | null; runId: string }) {
  const details = props.details;
  if (!details || typeof details !== 'object') return null;
  const { problems, ...rest } = details;
  const lines = flattenJson(rest, MAX_DETAIL_LINES + 1);
  const cutLines = lines.length > MAX_DETAIL_LINES;
  return (
    <>
      {Array.isArray(problems) && problems.length ? <Problems problems={problems} metrics={props.metrics} runId={props.runId} /> : null}
      {lines.length && !(lines.length === 1 && lines[0][0] === '') ? (
        <details>
          <summary>details</summary>
          <span class="mono">
            {lines.slice(0, MAX_DETAIL_LINES).map(([k, v]) => (
              <div>
                {cut(k, 120)}: {v}
              </div>
            ))}
            {cutLines ? <div class="muted">… (the rest in GET /v1/runs/{props.runId})</div> : null}
          </span>
        </details>
      ) : null}
    </>
  );
}

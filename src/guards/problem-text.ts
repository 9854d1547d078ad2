/**
 * One problem of a check result's `details.problems` (a push refused for invalid rows: `{row, path, message}`) as a
 * line of text, `row 1 /origin: must be string`, with whatever parts it has; each part cut to `max` characters.
 * The run page and `runs show` list them so.
 */
export function problemLine(p: unknown, max = 300): string {
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
  if (p === null || typeof p !== 'object') return cut(text(p));
  const { row, path, message } = p as { row?: unknown; path?: unknown; message?: unknown };
  const where = [row === undefined || row === null ? '' : `row ${text(row)}`, cut(text(path))].filter(Boolean).join(' ');
  return where ? `${where}: ${cut(text(message))}` : cut(text(message) || text(p));
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

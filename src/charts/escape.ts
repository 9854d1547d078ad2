/**
 * Escaping and small SVG element builders shared by the charts. Every piece
 * of text that reaches an SVG string goes through `escapeXml`.
 */

/** Escape text for XML element content and double-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export type Attrs = Readonly<Record<string, string | number | null | undefined | false>>;

/**
 * One SVG element as a string. Attribute values are escaped; `children` are
 * trusted SVG strings (build text nodes with `text()`).
 *
 * @example
 * el('rect', { x: 0, y: 0, width: 10, height: 5 }); // '<rect x="0" y="0" width="10" height="5"/>'
 */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    a += ` ${k}="${escapeXml(typeof v === 'number' ? fmtCoord(v) : v)}"`;
  }
  return children.length === 0 ? `<${tag}${a}/>` : `<${tag}${a}>${children.join('')}</${tag}>`;
}

/** A `<text>` element with escaped content. */
export function text(content: string, attrs: Attrs): string {
  return el('text', attrs, escapeXml(content));
}

/** Coordinates rounded to 0.01 px keep the SVG small and diff-stable. */
export function fmtCoord(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

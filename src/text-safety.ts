/**
 * Characters that make text unsafe to show as it is: controls a terminal acts on (C0, DEL, C1: an escape sequence
 * clears a screen or retitles a window) and the bidirectional controls that reorder the text around them
 * (embeddings, overrides, isolates and marks). Key names refuse them, `online get` and the quality commands' text
 * output escape them, the review pages show the bidirectional ones as `[U+202E]`.
 */

/** The bidirectional controls, as the inside of a regular-expression character class. */
export const BIDI_CONTROL_CLASS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** C0 and C1 controls, DEL and the bidirectional controls: true where a string holds any. */
export const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CONTROL_CLASS}]`);

const UNSAFE_CHARS = new RegExp(UNSAFE_TEXT.source, 'g');
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with each unsafe character written as an escape, as JSON writes it (`\n`, `\u001b`, `\u202e`): for text
 * from the data (slice values, messages that quote them) in output made for a terminal, where the character itself
 * would act (erase the line before it, retitle the window, reverse the line). Other text is returned as it is.
 *
 * @example
 * escapeUnsafeText('cat=\u001b[2Kok'); // 'cat=\\u001b[2Kok'
 */
export function escapeUnsafeText(text: string): string {
  return text.replace(UNSAFE_CHARS, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

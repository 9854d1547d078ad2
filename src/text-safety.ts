/**
 * Characters that make text unsafe to show as it is: controls a terminal acts on (C0, DEL, C1: an escape sequence
 * clears a screen or retitles a window) and the bidirectional controls that reorder the text around them
 * (embeddings, overrides, isolates and marks). Key names refuse them, `online get` escapes them, the review pages
 * show the bidirectional ones as `[U+202E]`.
 */

/** The bidirectional controls, as the inside of a regular-expression character class. */
export const BIDI_CONTROL_CLASS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** C0 and C1 controls, DEL and the bidirectional controls: true where a string holds any. */
export const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CONTROL_CLASS}]`);

/**
 * JSON Pointer tokens (RFC 6901): a key as one segment of a pointer, `~` and `/` escaped, and back.
 *
 * @example
 * `/field_mapping/${pointerToken('a/b')}`; // '/field_mapping/a~1b'
 */

/** A key as a JSON Pointer token (`~` → `~0`, `/` → `~1`). */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A JSON Pointer token's key (`~1` → `/`, `~0` → `~`). */
export function pointerKey(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

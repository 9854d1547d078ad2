/**
 * A request path as the server logs it: an API key pasted where an id belongs (`DELETE /v1/keys/fg_<id>_<secret>`,
 * a natural mistake since key ids look like a key's start) is logged as `fg_<id>_…`, its id without its secret,
 * as the log names keys everywhere else.
 *
 * @example
 * loggedPath('/v1/keys/fg_00a99b6961_vgBA8…'); // '/v1/keys/fg_00a99b6961_…'
 */
export function loggedPath(path: string): string {
  return path.includes('fg_') ? path.replace(/\bfg_([a-z0-9]{10})_[^/]+/g, 'fg_$1_…') : path;
}

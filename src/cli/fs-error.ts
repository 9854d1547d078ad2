/** A file-system error of a path the user gave, as an InputError (exit 2) saying what could not be done and why. */
import { InputError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EEXIST: 'a file is in the way',
  ENOSPC: 'the disk is full',
};

export function fsInputError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === undefined || !(code in REASONS)) return e;
  return new InputError(`${what}: ${REASONS[code]} (${code})`, { code }, 'bad_path');
}

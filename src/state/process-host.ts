/**
 * Where a process runs, for the rows that say which process holds a lease or is
 * writing (materialization leases, pushes in flight): the host name plus, on
 * Linux, the process's pid namespace. A pid is only meaningful inside its
 * namespace: two containers sharing a host name (`--network host`) and a state
 * database each have their own pid 1, and a process must not take a lease over
 * because a pid of the other container is not alive in its own.
 *
 * @example
 * processHost(); // 'build-7' on macOS, 'build-7/pid:4026531836' on Linux
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

let cached: string | undefined;

export function processHost(): string {
  if (cached !== undefined) return cached;
  let ns = '';
  try {
    // 'pid:[4026531836]'
    const m = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'));
    if (m) ns = `/pid:${m[1]}`;
  } catch {
    // No /proc (macOS, Windows): the host name alone.
  }
  cached = `${hostname()}${ns}`;
  return cached;
}

/**
 * Whether a lease or write row was written on this host and pid namespace, so that its pid can be checked
 * here. A row with the bare host name (a version before namespaces were recorded) is not: it could come from
 * another container sharing the host name, so it waits for its ttl (60 s) instead.
 */
export function isThisHost(host: string): boolean {
  return host === processHost();
}

/** Whether a process of this host with that pid exists (EPERM: it does, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

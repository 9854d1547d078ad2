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
import { readFileSync, readlinkSync } from 'node:fs';
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

let bootCached: string | null | undefined;

/**
 * `processHost()` plus this boot of the machine (Linux's `boot_id`), or null where there is none. For rows in a
 * store that several machines share (the Redis online store's write sessions): two machines may well share a
 * host name and sit in the initial pid namespace (its number is the same on every Linux machine), which would
 * let one judge the other's pids; a boot id tells them apart (and a pid of an earlier boot is not judged).
 */
export function processBootHost(): string | null {
  if (bootCached !== undefined) return bootCached;
  try {
    // Without its pid namespace (unreadable), two containers of one machine sharing a host name would look alike.
    bootCached = processHost().includes('/pid:') ? `${processHost()}/boot:${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}` : null;
  } catch {
    bootCached = null;
  }
  return bootCached;
}

/**
 * Vitest global setup: starts the real services tests need (filled in by the
 * online-store work: redis-server standalone and a 3-node cluster on free
 * loopback ports) and tears them down.
 */
export async function setup(): Promise<void> {}
export async function teardown(): Promise<void> {}

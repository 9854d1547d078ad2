/**
 * Redis Cluster slots, computed here as Redis computes them: the slot of a hash tag, and the keys that put one
 * key on each master (the store's epoch, see redis-admin.ts).
 *
 * @example
 * slotOfTag('meta'); // the slot of every `<prefix>{meta}…` key
 * clusterEpochKeys(await cluster.cluster('SLOTS'), 'featureguard:'); // ['featureguard:{epoch:0}:sentinel', …]
 */

/** Cluster slot of a hash tag: CRC16 (XMODEM) of it, modulo 16384, as Redis computes it. */
export function slotOfTag(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** A range of `CLUSTER SLOTS`: first and last slot, then the master (host, port, node id) and its replicas. */
type SlotRange = [number, number, [string, number, string?, ...unknown[]], ...unknown[]];

/**
 * One epoch key per master of a cluster (`CLUSTER SLOTS`' answer): `<prefix>{epoch:<i>}:sentinel` with the least
 * `i` whose tag maps to one of the master's slots, so that a master's loss takes its key with it. The same
 * masters serving the same slots (a failover to a replica among them) choose the same keys. Not named like an
 * entity's key (`}:<view>`), which dropping a view deletes.
 */
export function clusterEpochKeys(ranges: unknown, prefix: string): string[] {
  const byMaster = new Map<string, [number, number][]>();
  for (const [lo, hi, [host, port, id]] of ranges as SlotRange[]) {
    const master = id ?? `${host}:${port}`;
    byMaster.set(master, [...(byMaster.get(master) ?? []), [lo, hi]]);
  }
  const keys: string[] = [];
  for (const slots of byMaster.values()) {
    // Every slot is some `epoch:<i>`'s within a few hundred thousand tries; the bound keeps a bug from looping.
    for (let i = 0; i < 1 << 22; i++) {
      const slot = slotOfTag(`epoch:${i}`);
      if (slots.some(([lo, hi]) => slot >= lo && slot <= hi)) {
        keys.push(`${prefix}{epoch:${i}}:sentinel`);
        break;
      }
    }
  }
  return keys.sort();
}

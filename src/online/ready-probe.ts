/**
 * What `/ready` asks of an online store that can tell more than one read does: a Redis Cluster's every master
 * (one read reaches one slot, so one master: `/ready` stayed 200 while another master was gone).
 *
 * @example
 * if (hasReadyProbe(store)) await store.probeReady(); else await store.readMany('__featureguard_ready__', [], [['ready']]);
 */
import type { OnlineStore } from './types.js';

export interface ReadyProbe {
  /** Resolves once every part of the store that serves reads answered; else rejects as a read would. */
  probeReady(): Promise<void>;
}

export function hasReadyProbe(store: OnlineStore): store is OnlineStore & ReadyProbe {
  return typeof (store as Partial<ReadyProbe>).probeReady === 'function';
}

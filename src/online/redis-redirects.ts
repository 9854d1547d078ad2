/**
 * A Redis Cluster whose slots move (a master restarted, a failover, resharding or rebalancing): which failures
 * mean "the slot map is stale, ask again", and a way to send one command that ioredis redirects on its own.
 *
 * @example
 * if (isRedirect(e)) await refreshSlots();
 * const [c, p] = (await sendAlone(client, 'hmget', [key, 'c', 'p'])) as (string | null)[];
 */
import { Command, type Cluster, type Redis } from 'ioredis';

/**
 * A cluster node's redirect: the key's slot is served by another node. ioredis follows one, but not those of an
 * auto-pipeline whose commands were redirected with different replies (several slots moved), and then leaves its
 * slot map stale: every later request would be sent to the wrong node.
 */
const REDIRECT_REPLY = /^(MOVED|ASK)\b/;

/**
 * ioredis's rejection of a whole pipeline (an auto-pipeline batch: several requests' commands) whose keys' slots
 * are no longer served by one node: its slot map changed between queueing the batch and sending it, or when it
 * sends a batch again after a MOVED, the moved slot's keys now go elsewhere than the rest's. Nothing of the batch
 * ran on the second send (it is refused before), so it is a redirect like MOVED, not an outage.
 */
const SLOT_GROUP_CHANGED = 'All keys in the pipeline should belong to the same slots allocation group';

/** A failure that a fresh slot map and one more try fix: MOVED/ASK, or a pipeline split by moved slots. */
export function isRedirect(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (e.name === 'ReplyError' && REDIRECT_REPLY.test(e.message)) || e.message === SLOT_GROUP_CHANGED;
}

/**
 * One command sent on its own, outside the auto-pipeline: on a cluster ioredis follows its MOVED and ASK itself
 * (up to `maxRedirections`), which it cannot do for an auto-pipeline batch whose keys were redirected to several
 * nodes. For the retry after a redirect: slower than a batch, but it goes through a reshard still under way.
 */
export function sendAlone(client: Redis | Cluster, name: string, args: (string | number)[]): Promise<unknown> {
  return client.sendCommand(new Command(name, args, { replyEncoding: 'utf8' })) as Promise<unknown>;
}

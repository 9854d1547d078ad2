/**
 * How the run of a streamed dataset (`POST /v1/datasets`) ends. It stays `running` while its body streams and
 * takes its status (`success`, `warned`) only once the body was sent whole; a stream that breaks off, is
 * abandoned, or is cut (the client gone, the server's shutdown) is a run failed "not delivered" saying how
 * many bytes went out. A process that exits meanwhile (a second signal, the grace time over) fails it as it
 * fails its other running runs, and one killed leaves it to the next process's orphan check: never a run
 * recorded as delivered for a body the client did not get whole.
 *
 * @example
 * const delivery = streamDelivery(project.runs, run.id, 'warned');
 * try { for await (const c of chunks) { delivery.count(c); yield c; } await delivery.delivered(); }
 * finally { await delivery.notDelivered(); } // no-op once it ended
 */
import type { RunStore } from '../runs/run-store.js';
import { onInterrupt } from '../state/interrupt.js';

export interface StreamDelivery {
  /** Count a chunk handed to the reader. */
  count(chunk: Uint8Array): void;
  /** Bytes handed to the reader so far. */
  readonly bytes: number;
  /**
   * Whether the run got its final status (the calls below do nothing after the first). They record it waiting for
   * another process's write lock on a timer (`updateWhenFree`): a server streaming goes on answering requests.
   */
  readonly ended: boolean;
  /** The body was sent whole: the run takes its status. */
  delivered(): Promise<void>;
  /** The body broke off (`message` says why). */
  failed(message: string): Promise<void>;
  /** The reader stopped, or the stream was cut, before the end. */
  notDelivered(): Promise<void>;
}

/** The message of a run whose stream was cut after `bytes` bytes. */
export function notDeliveredMessage(bytes: number): string {
  return `the stream was cut after ${bytes.toLocaleString('en-US')} bytes, before the dataset was sent whole (not delivered)`;
}

/** Ends the run `runId` (recorded `running`, its other fields final) as its stream ends; see the module comment. */
export function streamDelivery(runs: RunStore, runId: string, status: 'success' | 'warned'): StreamDelivery {
  let bytes = 0;
  let ended = false;
  const end = async (patch: { status: 'success' | 'warned' | 'failed'; message?: string }) => {
    if (ended) return;
    ended = true;
    undo();
    await runs.updateWhenFree(runId, { ...patch, finished_at: new Date().toISOString() });
  };
  // The run store's own interrupt cleanup fails the run ("interrupted (SIGTERM) before it finished") and marks
  // its alerts due; this one says how far the stream got. Only the message: the status is the store's to set.
  const undo = onInterrupt((signal) => {
    if (!ended) runs.update(runId, { message: `interrupted (${signal}): ${notDeliveredMessage(bytes)}` });
  });
  return {
    count(chunk) {
      bytes += chunk.byteLength;
    },
    get bytes() {
      return bytes;
    },
    get ended() {
      return ended;
    },
    delivered: () => end({ status }),
    failed: (message) => end({ status: 'failed', message }),
    notDelivered: () => end({ status: 'failed', message: notDeliveredMessage(bytes) }),
  };
}

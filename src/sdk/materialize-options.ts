/**
 * The options of the SDK's `store.materialize`: the window and views `POST /v1/materialize` takes, without the
 * hooks internal callers pass to the materialization itself (a replaced guard stage, the write batch size, a
 * run-started callback, an alert abort signal and who takes over the alert delivery: the server, the scheduler and tests). `guardStage` let a caller
 * skip the guards with a run that looked checked; `store.materialize` refuses each as an unknown option.
 *
 * @example
 * const options: MaterializeOptions = { views: ['airport_hourly'], start: '2026-11-01', end: '2026-11-08' };
 */
import type { MaterializeOptions as MaterializeRunOptions } from '../materialize/types.js';

/** What `store.materialize` takes: `start`/`end` (or `incremental`), `views`, `guards`, `onProgress`. */
export interface MaterializeOptions extends Omit<MaterializeRunOptions, 'batchSize' | 'guardStage' | 'onRunStarted' | 'alertSignal' | 'deliverAlerts'> {}

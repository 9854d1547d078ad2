/**
 * Label coverage of dataset builds (`class_imbalance.labelled_rows`) and the note for a label view selected as
 * features, on the tiny project (outcome labels: txn 100 at 01:30, txn 101 at 02:30; see tiny-project.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/runs/types.js';
import { runCli } from '../cli/cli-io.js';
import { useTinyProject } from './tiny-project.js';

const t = useTinyProject();
const at = (hms: string) => `2024-01-01T${hms}Z`;
const coverage = (results: readonly CheckResult[]) => results.filter((r) => r.method === 'labelled_rows').map((r) => [r.details?.part, r.status, r.metrics?.labelled_rows, r.metrics?.rows]);

describe('label coverage of a dataset build', () => {
  it('fails a train part whose entity rows all precede the labels (the build warns, it is written)', async () => {
    // Four rows before txn 100's label (01:30), then one after it: --test-fraction 0.2 puts the last in test.
    const entities = ['00:10:00', '00:20:00', '00:30:00', '00:40:00', '02:00:00'].map((hms) => ({ txn_id: 100, user_id: 1, merchant: 'acme', event_timestamp: at(hms) }));
    const res = await t.build({ entities, service: 'fraud_model', testFraction: 0.2, out: 'late/train.parquet' });
    expect(coverage(res.checks.results)).toEqual([['train', 'fail', 0, 4], ['test', 'pass', 1, 1]]);
    const train = res.checks.results.find((r) => r.method === 'labelled_rows' && r.details?.part === 'train')!;
    expect([train.policy, train.message]).toEqual(['warn', expect.stringMatching(/^fraud: the train part has no labelled row \(0 of 4 rows\): .*labels arrive later than the entity rows/)]);
    expect(res.status).toBe('warned');
    expect(res.outputs.map((o) => [o.part, o.rows])).toEqual([['train', 4], ['test', 1]]);
  });

  it('passes a fully labelled build', async () => {
    const entities = [['01:30:00', 100], ['02:30:00', 101], ['03:00:00', 100], ['04:00:00', 101]].map(([hms, txn]) => ({ txn_id: txn, user_id: 1, merchant: 'acme', event_timestamp: at(String(hms)) }));
    const res = await t.build({ entities, service: 'fraud_model' });
    expect(coverage(res.checks.results)).toEqual([['all', 'pass', 4, 4]]);
  });

  it('min_labelled_share (default 0.5): an equal share passes, a lower one fails', async () => {
    // 2 of 4 rows labelled (txn 102 has no label row).
    const entities = [['01:30:00', 100], ['02:30:00', 101], ['03:00:00', 102], ['04:00:00', 102]].map(([hms, txn]) => ({ txn_id: txn, user_id: 1, merchant: 'acme', event_timestamp: at(String(hms)) }));
    expect(coverage((await t.build({ entities, service: 'fraud_model' })).checks.results)).toEqual([['all', 'pass', 2, 4]]);
    const three = [...entities, { txn_id: 102, user_id: 1, merchant: 'acme', event_timestamp: at('05:00:00') }];
    const res = await t.build({ entities: three, service: 'fraud_model' });
    expect(coverage(res.checks.results)).toEqual([['all', 'fail', 2, 5]]);
    expect(res.checks.results.find((r) => r.method === 'labelled_rows')!.message).toMatch(/^fraud: the dataset has 2 labelled rows of 5 \(40%\) < min_labelled_share 0\.5: /);
  });
});

describe('a label view selected as features', () => {
  const NOTE = 'outcome is a label view: its features are written as features and the label checks are skipped; use a service with label: outcome:fraud';

  it('is written as features, with a note in the manifest (no label, no label checks)', async () => {
    const res = await t.build({ entities: [{ txn_id: 100, user_id: 1, event_timestamp: at('02:00:00') }], features: ['user_stats:txn_count', 'outcome'] });
    expect(res.manifest.label).toBeNull();
    expect(res.manifest.notes).toEqual([NOTE]);
    expect(res.checks.results.some((r) => r.method === 'labelled_rows')).toBe(false);
    // A service's build has no such note.
    const svc = await t.build({ entities: [{ txn_id: 100, user_id: 1, merchant: 'acme', event_timestamp: at('02:00:00') }], service: 'fraud_model' });
    expect(svc.manifest.notes).toEqual([]);
  });

  it('the CLI prints the note', async () => {
    await t.project.close(); // the CLI opens its own
    const r = await runCli(['--project', t.dir, 'dataset', 'build', '--entities-sql', "SELECT 100::BIGINT AS txn_id, TIMESTAMP '2024-01-01 02:00:00' AS event_timestamp", '--features', 'outcome:fraud', '--out', join(t.dir, 'noted.parquet')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')).toContain(`note: ${NOTE}`);
  });
});

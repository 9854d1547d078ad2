import { describe, expect, it } from 'vitest';
import type { CheckResult, Run } from '../../runs/types.js';
import { runReason } from '../../runs/run-reason.js';
import { RunDetailPage, sortResults } from './run-detail-page.js';
const blockedReason = (...a: Parameters<typeof runReason>) => runReason(...a).reason;
import { parseRunsQuery, runFilter, RunsPage } from './runs-page.js';
import { flattenJson } from './format.js';

describe('flattenJson', () => {
  it('flattens fingerprints into dotted lines', () => {
    expect(flattenJson({ files: [{ path: 'data/a.parquet', size: 12 }], rows: 3 })).toEqual([
      ['files[0].path', 'data/a.parquet'],
      ['files[0].size', '12'],
      ['rows', '3'],
    ]);
  });
});

const r = (check: string, status: CheckResult['status'], value: number | null, policy: CheckResult['policy'] = 'warn', message = `${check} ${status}`): CheckResult => ({
  run_id: 'x', check, feature: null, slice: null, status, policy, method: null, value, thresholds: null, metrics: null, message, details: null,
});
const run = (status: Run['status'], message: string | null = null): Run => ({
  id: 'x', kind: 'materialize', view: 'v', service: null, status, started_at: '2026-01-01T00:00:00Z', finished_at: null, window_start: null, window_end: null, rows_in: null, rows_out: null, message, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 }, lineage: null, options: null, trigger: null,
});

describe('sortResults', () => {
  const results = [r('b', 'pass', 3), r('a', 'warn', null), r('c', 'fail', 1), r('a', 'error', 2)];
  it('puts the worst status first by default and keeps ties in check order', () => {
    expect(sortResults(results).map((x) => x.status)).toEqual(['fail', 'error', 'warn', 'pass']);
  });
  it('sorts by value with missing values first ascending', () => {
    expect(sortResults(results, 'value', 'asc').map((x) => x.value)).toEqual([null, 1, 2, 3]);
    expect(sortResults(results, 'check', 'desc').map((x) => x.check)).toEqual(['c', 'b', 'a', 'a']);
  });
});

describe('runReason', () => {
  it('uses the stored message whole, every line of it', () => {
    expect(blockedReason(run('blocked', 'schema broke\nmore'), [])).toBe('schema broke\nmore');
  });
  it('falls back to the first blocking failure', () => {
    expect(blockedReason(run('blocked'), [r('drift', 'fail', 1, 'warn', 'drifted'), r('schema', 'fail', 0, 'block', 'bad type')])).toBe('schema: bad type');
    expect(blockedReason(run('success'), [r('drift', 'fail', 1)])).toBeNull();
  });
});

describe('parseRunsQuery', () => {
  it('keeps any view name as GET /v1/runs does, and leaves out a bad kind or paging value with a notice', () => {
    const q = parseRunsQuery({ view: '<script>', status: 'blocked', kind: 'nope', limit: '100000', offset: '-5', since: '2026-01-02T03:04' });
    expect(q).toMatchObject({ view: '<script>', status: 'blocked', kind: undefined, limit: 50, offset: 0, since: '2026-01-02T03:04' });
    expect(q.notices).toEqual([
      "'nope' is not a run kind (materialize, dataset, push, check, compact): left out of the filters",
      "'100000' is not a page size (a whole number from 1 to 500): 50 per page shown",
      "'-5' is not an offset (a whole number from 0): the list starts at the newest run",
    ]);
    expect(runFilter(q).since).toBe('2026-01-02T03:04:00.000Z');
    // A date alone is its midnight, in the form the page's datetime-local field shows (else it showed empty).
    expect(parseRunsQuery({ since: '2026-02-30', until: '2026-02-28' })).toMatchObject({ since: undefined, until: '2026-02-28T00:00' });
  });

  it('reads since and until as GET /v1/runs does (a zone, seconds, a fraction), shown back in UTC; a bad one says why', () => {
    // A review finding: a value with a zone or a fraction (the pages print times as …Z) was dropped without a word.
    const q = parseRunsQuery({ since: '2026-12-02T06:56:14Z', until: '2026-12-02T08:56:14.5+01:00' });
    expect(q).toMatchObject({ since: '2026-12-02T06:56:14', until: '2026-12-02T07:56:14.500', notices: [] });
    expect(runFilter(q)).toMatchObject({ since: '2026-12-02T06:56:14.000Z', until: '2026-12-02T07:56:14.500Z' });
    expect(parseRunsQuery({ since: '2026-12-02 07:00-02:00' }).since).toBe('2026-12-02T09:00');
    const bad = parseRunsQuery({ since: '2026-02-30', until: 'yesterday' });
    expect(bad).toMatchObject({ since: undefined, until: undefined });
    expect(bad.notices).toEqual([
      expect.stringMatching(/^invalid 'Started from' '2026-02-30': February 2026 has 28 days/),
      expect.stringMatching(/^invalid 'Started before' 'yesterday': use an ISO 8601 date or time/),
    ]);
    expect(parseRunsQuery({ since: '', until: '' })).toMatchObject({ since: undefined, until: undefined, notices: [] });
  });
});

describe('RunDetailPage', () => {
  const frame = { base: '/ui', nonce: 'n', loggedIn: false, project: 'p' };
  const page = async (results: CheckResult[], counts: Run['counts']) =>
    String(await RunDetailPage({ frame, run: { ...run('warned'), counts }, results, sort: 'status', dir: 'asc', alertAttempts: [] }));
  it("says a pruned run's results and alert attempts were pruned, and counts its failures under a warn policy too", async () => {
    const html = await page([], { pass: 12, warn: 0, fail: 2, error: 0, skipped: 0 });
    expect(html).toContain('2 check(s) did not pass');
    expect(html).not.toContain('more: see the checks');
    expect(html).toContain('Check results and profiles pruned');
    expect(html).toContain('Alert attempts, if any, were pruned');
    expect(html).not.toContain('No alerts were sent');
  });
  it("shows a failed run's whole message, past 160 characters and on every line", async () => {
    // A review finding: the page cut a failed run's only explanation at 160 characters (the runs list's "Why").
    const message =
      "feature view 'consts' could not read its source 'csrc' (path 'data/c/*.csv'): Conversion Error: invalid timestamp field format: \"notatime\", expected format is (YYYY-MM-DD HH:MM:SS[.US][±HH:MM| ZONE]) when casting from source column ts\nsecond line of the cause";
    const html = String(await RunDetailPage({ frame, run: run('failed', message), results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    const reason = /<p class="reason" id="reason" role="status">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(reason).toContain('when casting from source column ts\nsecond line of the cause');
    expect(reason).toContain('<span class="why">');
    expect(reason).not.toContain('…');
  });
  const lineage = (output: NonNullable<Run['lineage']>['output'], other?: NonNullable<Run['lineage']>['other_outputs']): Run['lineage'] => ({
    job: 'j', definition_versions: {}, inputs: [], output, ...(other ? { other_outputs: other } : {}), package_version: '0.1.0', host: 'h', user: 'u',
  });
  const outputs = (html: string) => /<dt>Outputs?<\/dt><dd>([\s\S]*?)<\/dd>/.exec(html)?.[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  it("names both parts of a split dataset build with each part's rows, as runs show does", async () => {
    // A review finding: the page named the train file only, beside the rows of both parts.
    const split: Run = {
      ...run('success'), kind: 'dataset', view: null, service: 'delay_model', rows_in: 17_221, rows_out: 17_221,
      lineage: lineage({ kind: 'dataset:parquet', uri: 'file:///p/out/delay.train.parquet', rows: 13_768 }, [{ kind: 'dataset:parquet', uri: 'file:///p/out/delay.test.parquet', rows: 3_453 }]),
    };
    const html = String(await RunDetailPage({ frame, run: split, results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    expect(outputs(html)).toBe('dataset:parquet: file:///p/out/delay.train.parquet (13,768 rows) dataset:parquet: file:///p/out/delay.test.parquet (3,453 rows)');
  });
  it('names the offline file of a push to both and what the push wrote', async () => {
    const pushed: Run = {
      ...run('success'), kind: 'push', rows_in: 10, rows_out: 9, options: { to: 'both', rows: 10, written: 9, skipped: 1, file: '/p/data/c/.push-x.csv' },
      lineage: lineage({ kind: 'online', uri: 'online://sqlite/v' }, [{ kind: 'file', uri: '/p/data/c/.push-x.csv', rows: 10 }]),
    };
    const html = String(await RunDetailPage({ frame, run: pushed, results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    expect(outputs(html)).toBe('online: online://sqlite/v file: /p/data/c/.push-x.csv (10 rows)');
    expect(html).toMatch(/<dt>Push<\/dt><dd>to both: 10 rows, 9 written online, 1 skipped \(not newer than the stored value\)<\/dd>/);
    // One output, no rows of its own: as before.
    const one = String(await RunDetailPage({ frame, run: { ...pushed, options: null, lineage: lineage({ kind: 'online', uri: 'online://sqlite/v' }) }, results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    expect(outputs(one)).toBe('online: online://sqlite/v');
    expect(one).toContain('<dt>Output</dt>');
    expect(one).not.toContain('<dt>Push</dt>');
  });
  it('keeps its own words for a run with its results', async () => {
    const html = await page([r('drift', 'fail', 1, 'warn', 'drifted'), r('schema', 'warn', 0)], { pass: 0, warn: 1, fail: 1, error: 0, skipped: 0 });
    expect(html).toContain('drift: drifted');
    expect(html).toContain('(and 1 more: see the checks)');
    expect(html).toContain('No alerts were sent for this run.');
  });
});

describe('a queued run', () => {
  // A review finding: the run page's facts said "Started 2026-12-02 19:49:48Z" and the runs list put the time under
  // "Started (UTC)" for a run still waiting its turn; `runs show` prints "queued <time>" (its time is when it was queued).
  const frame = { base: '/ui', nonce: 'n', loggedIn: false, project: 'p' };
  const queued: Run = { ...run('queued'), id: 'q1', started_at: '2026-12-02T19:49:48.000Z' };
  const facts = (html: string) => [...html.matchAll(/<dt>([^<]*)<\/dt><dd>([\s\S]*?)<\/dd>/g)].map((m) => [m[1], m[2].replace(/<[^>]+>/g, '')]);

  it("labels its time 'Queued' on its page, and a started run's 'Started'", async () => {
    const html = String(await RunDetailPage({ frame, run: queued, results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    expect(facts(html)).toContainEqual(['Queued', '2026-12-02 19:49:48Z']);
    expect(facts(html).map(([k]) => k)).not.toContain('Started');
    expect(facts(html).map(([k]) => k)).not.toContain('Duration');
    const started = String(await RunDetailPage({ frame, run: { ...queued, status: 'running' }, results: [], sort: 'status', dir: 'asc', alertAttempts: [] }));
    expect(facts(started)).toContainEqual(['Started', '2026-12-02 19:49:48Z']);
  });

  it("says 'Queued' beside its time in the runs list", async () => {
    const q = parseRunsQuery({});
    const html = String(await RunsPage({ frame, q, runs: [queued, { ...queued, id: 'r1', status: 'running' }], total: 2, views: ['v'], services: [] }));
    const cell = (id: string) => new RegExp(`<tr data-run-id="${id}"[^>]*><td class="mono time">([\\s\\S]*?)</td>`).exec(html)?.[1].replace(/<[^>]+>/g, '');
    expect(cell('q1')).toBe('Queued 2026-12-02 19:49:48Z');
    expect(cell('r1')).toBe('2026-12-02 19:49:48Z');
  });
});

describe('wording of the run page (review findings on the flights example)', () => {
  const frame = { base: '/ui', nonce: 'n', loggedIn: false, project: 'p' };
  const render = async (r: Run, redeliveries: Parameters<typeof RunDetailPage>[0]['redeliveries'] = []) =>
    String(await RunDetailPage({ frame, run: r, results: [], sort: 'status', dir: 'asc', alertAttempts: [], redeliveries }));
  const lineage = (fingerprint: Record<string, unknown> | undefined): NonNullable<Run['lineage']> => ({
    job: 'materialize:v', definition_versions: {}, inputs: [{ name: 'src', kind: 'file', uri: 'data/x.parquet', ...(fingerprint === undefined ? {} : { fingerprint }) }],
    output: null, package_version: '0.1.0', host: 'h', user: 'u',
  } as unknown as NonNullable<Run['lineage']>);
  const fingerprintCell = (html: string) => /<td class="mono[^"]*fp">([\s\S]*?)<\/td>/.exec(html)?.[1].replace(/<[^>]+>/g, '').trim();

  it('says an input whose fingerprint is empty or missing was not read, not ": {}"', async () => {
    expect(fingerprintCell(await render({ ...run('failed', 'could not read'), lineage: lineage({}) }))).toBe('— (not read)');
    expect(fingerprintCell(await render({ ...run('failed', 'could not read'), lineage: lineage(undefined) }))).toBe('— (not read)');
    expect(fingerprintCell(await render({ ...run('success'), lineage: lineage({ size: 12 }) }))).toBe('size: 12');
  });

  it("says a push's skipped rows were not newer than the stored value (ties are skipped too)", async () => {
    const html = await render({ ...run('success'), kind: 'push', options: { to: 'online', rows: 10, written: 8, skipped: 2 } });
    expect(html).toMatch(/<dt>Push<\/dt><dd>to online: 10 rows, 8 written online, 2 skipped \(not newer than the stored value\)<\/dd>/);
  });

  it('says what a blocked or failed push attempted and that it was not written', async () => {
    expect(await render({ ...run('blocked', 'schema: bad'), kind: 'push', options: { to: 'online', rows: 736 } })).toMatch(/<dt>Push<\/dt><dd>to online: 736 rows \(not written: blocked\)<\/dd>/);
    expect(await render({ ...run('failed', 'store down'), kind: 'push', options: { to: 'both', rows: 5 } })).toMatch(/<dt>Push<\/dt><dd>to both: 5 rows \(none recorded as written: failed\)<\/dd>/);
  });

  it("says a redelivery the server's configuration does not know is not in the configuration it loaded at start", async () => {
    const html = await render(run('failed', 'x'), [{ run_id: 'x', alert: 'late_hook', round: 2, next_at: '2026-12-01T00:00:00.000Z', until: null, in_flight: false }]);
    const p = /<p class="redelivery">([\s\S]*?)<\/p>/.exec(html)![1].replace(/<[^>]+>/g, '');
    expect(p).toBe('late_hook: redelivery 2 due 2026-12-01 00:00:00Z, not redelivered by the configuration this server loaded at start (restart it to pick up a changed featureguard.yaml)');
    expect(html).not.toContain('this featureguard.yaml');
  });
});

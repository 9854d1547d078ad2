/**
 * `featureguard/signature`: what a webhook receiver needs (`verifySignature`, the header names) without the SDK, so
 * importing it does not load DuckDB's or better-sqlite3's native bindings (the package's own name, as a receiver
 * imports it, resolved through `exports`; run against the build, as the package ships it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/** Import `specifier` in a fresh Node process; what it exports and which native libraries the process then has mapped. */
function probe(specifier: string): { exports: string[]; duckdb: boolean; sqlite: boolean; verified: boolean } {
  const script = `
    const m = await import(${JSON.stringify(specifier)});
    const { createHmac } = await import('node:crypto');
    const body = '{"event":"featureguard.run"}';
    const verified = m.verifySignature(body, 'sha256=' + createHmac('sha256', 'k').update(body).digest('hex'), 'k');
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ exports: Object.keys(m).sort(), duckdb: /duckdb/i.test(maps), sqlite: /better_sqlite3/i.test(maps), verified }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as ReturnType<typeof probe>;
}

it.runIf(process.platform === 'linux')('featureguard/signature verifies without loading DuckDB or SQLite; the package entry does load DuckDB', () => {
  expect(JSON.parse(readFileSync('package.json', 'utf8')).exports['./signature']).toBeDefined();
  const light = probe('featureguard/signature');
  expect(light).toMatchObject({ duckdb: false, sqlite: false, verified: true });
  expect(light.exports).toEqual(expect.arrayContaining(['DELIVERY_HEADER', 'FeatureguardError', 'SIGNATURE_HEADER', 'verifySignature']));
  // The check means something: the whole SDK maps DuckDB's library.
  expect(probe('featureguard')).toMatchObject({ duckdb: true, verified: true });
}, 60_000);

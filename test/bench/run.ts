/**
 * `npm run bench`: runs every benchmark in this folder, one after another, and
 * prints each one's Markdown section (ratios measured side by side in one run).
 * `npm run bench -- dataset serving` runs only the named ones.
 * Copy the output into test/bench/RESULTS.md with the machine and the date.
 */
import { cpus, totalmem } from 'node:os';

const benches = ['dataset', 'materialize', 'serving', 'guards'] as const;

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = wanted.length > 0 ? benches.filter((b) => wanted.includes(b)) : benches;

console.log(`# featureguard benchmarks\n`);
console.log(`- date: ${new Date().toISOString()}`);
console.log(`- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);

let failed = 0;
for (const name of selected) {
  const started = Date.now();
  try {
    const mod = (await import(`./${name}.bench.ts`)) as { run(): Promise<string> };
    console.log(await mod.run());
    console.log(`\n_${name}: ${((Date.now() - started) / 1000).toFixed(1)} s_\n`);
  } catch (e) {
    failed++;
    console.log(`\n## ${name}\n\nfailed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

/**
 * Loads the SciPy fixtures made by `make-fixtures.py` and rebuilds generated
 * samples bit-for-bit (Park–Miller LCG, see the script's header).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface GenSpec {
  lcg: number;
  n: number;
  scale: number;
  shift: number;
  floor: boolean;
}
export type Sample = number[] | GenSpec | { sum: GenSpec[] };

export function gen(spec: GenSpec): Float64Array {
  const out = new Float64Array(spec.n);
  let x = spec.lcg;
  for (let i = 0; i < spec.n; i++) {
    x = (x * 48271) % 2147483647;
    const u = x / 2147483647;
    out[i] = spec.floor ? Math.floor(u * spec.scale) + spec.shift : u * spec.scale + spec.shift;
  }
  return out;
}

export function sample(v: Sample): Float64Array {
  if (Array.isArray(v)) return Float64Array.from(v);
  if ('sum' in v) {
    const [first, ...rest] = v.sum.map(gen);
    for (const r of rest) for (let i = 0; i < first.length; i++) first[i] += r[i];
    return first;
  }
  return gen(v);
}

export function fixture<T>(name: string): T[] {
  const path = fileURLToPath(new URL(`./fixtures/${name}.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: T[] }).cases;
}

/** |actual − expected| ≤ 1e-6·|expected| (+1e-12 absolute for values at 0); null means NaN. */
export function close(actual: number, expected: number | null, rel = 1e-6): boolean {
  if (expected === null) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-12;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeOnlineStoreConformance } from './conformance.case.js';
import { openSqliteOnlineStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-online-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeOnlineStoreConformance('sqlite', () => {
  const file = join(dir, `online-${n++}.db`);
  return () => openSqliteOnlineStore({ path: file }, dir);
});

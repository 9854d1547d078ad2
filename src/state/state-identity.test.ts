import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDb, stateIdentity } from './state-db.js';

const dir = mkdtempSync(join(tmpdir(), 'fg-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stateIdentity', () => {
  it('is one id per state database, kept across connections; a copy of the file makes its own', () => {
    const a = openStateDb(join(dir, 'state.db'));
    const id = stateIdentity(a);
    const again = openStateDb(join(dir, 'state.db'));
    expect(stateIdentity(again)).toBe(id);
    a.close();
    again.close();
    // A copied state folder (a container image run as replicas): its leases are not the original's.
    copyFileSync(join(dir, 'state.db'), join(dir, 'copy.db'));
    const copy = openStateDb(join(dir, 'copy.db'));
    expect(stateIdentity(copy)).not.toBe(id);
    copy.close();
    const back = openStateDb(join(dir, 'state.db'));
    expect(stateIdentity(back)).toBe(id);
    back.close();
  });
});

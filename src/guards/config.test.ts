import { Ajv2020 } from 'ajv/dist/2020.js';
import { DURATION_FORMAT } from '../definitions/ttl.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUALITY, resolveQuality, subPolicy } from './config.js';

describe('quality config', () => {
  it('has the defaults of QUALITY-CHECKS.md', () => {
    const q = resolveQuality();
    expect(q.schema.policy).toBe('block');
    expect([q.provenance.policy, subPolicy(q, 'provenance', 'tampering'), subPolicy(q, 'provenance', 'future_timestamps')]).toEqual(['warn', 'block', 'block']);
    expect([q.leakage.policy, subPolicy(q, 'leakage', 'temporal'), subPolicy(q, 'leakage', 'pii')]).toEqual(['warn', 'block', 'block']);
    expect([q.class_imbalance.policy, q.drift.policy, q.anomaly.policy]).toEqual(['warn', 'warn', 'warn']);
    expect(q.drift).toMatchObject({ psi_warn: 0.1, psi_fail: 0.25, p_value: 0.05, distance: 0.1, drift_share: 0.5, max_slices: 20 });
    expect(q.anomaly).toMatchObject({ volume_z: 3.5, volume_history: 10, outlier_z: 5, null_rate_jump: 0.1, allow_empty: false });
    expect(q.provenance).toMatchObject({ recheck_days: 7, max_clock_skew: '5m' });
    expect(q.class_imbalance).toMatchObject({ max_imbalance_ratio: 10, min_class_count: 30 });
  });

  it('merges project ← view ← feature field by field, and a bare policy string', () => {
    const q = resolveQuality({ drift: { policy: 'block', psi_warn: 0.2 }, anomaly: 'off' }, { drift: { psi_fail: 0.5 } }, { drift: 'warn' });
    expect(q.drift).toMatchObject({ policy: 'warn', psi_warn: 0.2, psi_fail: 0.5 });
    expect(q.anomaly.policy).toBe('off');
    expect(q.anomaly.volume_z).toBe(3.5);
    expect(DEFAULT_QUALITY.drift.psi_warn).toBe(0.1); // defaults untouched
  });

  it('turns sub-checks off with their family, and lets sub-policies override', () => {
    expect(subPolicy(resolveQuality({ provenance: 'off' }), 'provenance', 'tampering')).toBe('off');
    expect(subPolicy(resolveQuality({ provenance: { tampering: 'warn' } }), 'provenance', 'tampering')).toBe('warn');
    expect(subPolicy(resolveQuality({ provenance: { policy: 'block' } }), 'provenance', 'duplicates')).toBe('block');
  });

  it('is described by schemas/quality.schema.json (every property documented)', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/quality.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ strict: true }).addFormat(DURATION_FORMAT, true).compile(schema);
    expect(validate({ drift: { policy: 'block', reference: 'baseline:train_2001_01' }, provenance: { tampering: 'warn' }, anomaly: { max_staleness: '2d' } })).toBe(true);
    expect(validate({ drift: { reference: 'baseline:train-2001-05' } })).toBe(true);
    expect(validate({ drift: { reference: 'baseline:Train' } })).toBe(false);
    expect(validate({ drift: { bogus: 1 } })).toBe(false);
    expect(validate({ drift: 'sometimes' })).toBe(false);
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties) for (const [k, v] of Object.entries(n.properties as object)) {
        expect((v as { description?: string }).description, `${path}/${k}`).toBeTruthy();
        walk(v, `${path}/${k}`);
      }
      for (const alt of (n.oneOf as unknown[]) ?? []) walk(alt, path);
    };
    walk(schema, '');
    for (const f of Object.keys(DEFAULT_QUALITY)) for (const k of Object.keys((DEFAULT_QUALITY as unknown as Record<string, object>)[f])) {
      expect(JSON.stringify(schema.properties[f]), `${f}.${k}`).toContain(`"${k}"`);
    }
  });
});

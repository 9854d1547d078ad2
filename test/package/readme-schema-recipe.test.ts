/**
 * The README's Ajv recipe ("Editor support"), run word for word in a fresh Node process as a user's ES module runs
 * it (the schemas resolved through the package's own `featureguard/schemas/*` export). A review's finding: the
 * recipe compiled no definition schema, as they `$ref` their siblings (`can't resolve reference entity.schema.json`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

it("compiles definition.schema.json and feature_view's with the README's recipe, and they validate", () => {
  const readme = readFileSync(new URL('README.md', `file://${repo}`), 'utf8');
  const recipe = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('ajv.addSchema'));
  expect(recipe, 'a ```js block with the Ajv recipe').toBeDefined();
  const view = { kind: 'feature_view', name: 'airport_hourly', entities: ['airport'], source: 'flights', ttl: '2d', features: [{ name: 'mean_delay', type: 'float64' }] };
  const checks = `
    const view = ${JSON.stringify(view)};
    const entity = { kind: 'entity', name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] };
    console.log(JSON.stringify({
      definition: validateDefinition(view), entity: validateDefinition(entity), view: validateView(view),
      badTtl: validateDefinition({ ...view, ttl: 'soon' }), noName: validateView({ ...view, name: undefined }),
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', recipe + checks], { cwd: repo, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ definition: true, entity: true, view: true, badTtl: false, noName: false });
});

/**
 * The SDK's public functions and the methods of `FeatureStore` and `QualityLog` carry JSDoc, as an editor shows it
 * on hover (the TypeScript checker's documentation comment, what the shipped d.ts keeps). A module's first comment
 * above its imports is no function's documentation: `openFeatureStore`, `close`, `runs.get`/`results` and the
 * `define*` builders had none. (A review's finding.)
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import ts from 'typescript';

const entry = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

it('documents every exported function and every member of FeatureStore and QualityLog', () => {
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!);
  const doc = (sym: ts.Symbol) => ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  const undocumented: string[] = [];
  for (const s of exported) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    // Functions, and constants holding one (the `define*` builders).
    const callable = target.flags & ts.SymbolFlags.Function || (target.flags & ts.SymbolFlags.Variable && checker.getTypeOfSymbol(target).getCallSignatures().length > 0);
    if (callable && doc(target) === '') undocumented.push(s.name);
    if (s.name === 'FeatureStore' || s.name === 'QualityLog') {
      for (const m of checker.getDeclaredTypeOfSymbol(target).getProperties()) if (doc(m) === '') undocumented.push(`${s.name}.${m.name}`);
    }
  }
  expect(undocumented).toEqual([]);
}, 60_000);

it("openFeatureStore's documentation says where it opens and has an example", async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(fileURLToPath(new URL('../../src/sdk/feature-store.ts', import.meta.url)), 'utf8');
  // The doc block sits directly above the function (tsc drops a detached one from the d.ts).
  expect(text).toMatch(/@example[^]*?\*\/\nexport async function openFeatureStore/);
  expect(text).toMatch(/no_project[^]*?\*\/\nexport async function openFeatureStore/);
});

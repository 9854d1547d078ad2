/**
 * Every named type a public SDK type reaches (a result's field, a request's option, a method's parameter) can be
 * imported by name from the package entry (README, "SDK": "the package exports the types of every call's request
 * and result … and the types inside them"). Walks `src/sdk/index.ts` with the TypeScript checker, as a user's
 * editor sees it; `Project` (`store.project`, the escape hatch to internals) is not walked. (A review's finding: `RunTrigger`,
 * `AlertAttempt`, `DropReason`, `ProfileKind`, `Quantiles`, the quality families' types were not exported.)
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import ts from 'typescript';

const entry = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
const src = fileURLToPath(new URL('../../src/', import.meta.url));

/** The named types (interfaces, classes, aliases) declared under src/ that the public types reach but the entry does not export. */
function unexportedTypes(): Map<string, string> {
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!);
  const names = new Set(exported.map((s) => s.name));
  const seen = new Set<ts.Type>();
  const missing = new Map<string, string>();
  const visit = (type: ts.Type, from: string, depth: number): void => {
    if (depth > 10 || seen.has(type)) return;
    seen.add(type);
    const sym = type.aliasSymbol ?? type.getSymbol();
    if (sym && (type.aliasSymbol || sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class))) {
      const file = sym.declarations?.[0]?.getSourceFile().fileName ?? '';
      // Node's, Arrow's, DuckDB's types are not walked; TypeScript's own (`ReadonlyArray`, `Readonly<Record<…>>`) are.
      if (!file.startsWith(src) && !file.includes('/typescript/lib/')) return;
      if (sym.name === 'Project') return;
      if (file.startsWith(src) && !names.has(sym.name) && !missing.has(sym.name)) missing.set(sym.name, from);
    }
    if (type.isUnionOrIntersection()) type.types.forEach((t) => visit(t, from, depth + 1));
    type.aliasTypeArguments?.forEach((t) => visit(t, from, depth + 1));
    if (checker.isArrayType(type) || checker.isTupleType(type)) checker.getTypeArguments(type as ts.TypeReference).forEach((t) => visit(t, from, depth + 1));
    for (const sig of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      sig.getParameters().forEach((p) => visit(checker.getTypeOfSymbol(p), `${from}(${p.name})`, depth + 1));
      visit(sig.getReturnType(), `${from}()`, depth + 1);
    }
    if (sym?.name === 'Promise') checker.getTypeArguments(type as ts.TypeReference).forEach((t) => visit(t, from, depth + 1));
    if (type.flags & ts.TypeFlags.Object) {
      for (const p of type.getProperties()) visit(checker.getTypeOfSymbol(p), `${from}.${p.name}`, depth + 1);
      const index = type.getStringIndexType();
      if (index) visit(index, `${from}[key]`, depth + 1);
    }
  };
  for (const s of exported) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    visit(target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) ? checker.getDeclaredTypeOfSymbol(target) : checker.getTypeOfSymbol(target), s.name, 0);
  }
  return missing;
}

it('exports by name every type the public types reach', () => {
  expect(Object.fromEntries(unexportedTypes())).toEqual({});
}, 60_000);

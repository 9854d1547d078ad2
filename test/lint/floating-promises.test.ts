/**
 * No promise is dropped in `src/`: a call whose result is a promise, standing alone as a statement, is a write or a
 * delivery nobody waits for (its error unhandled, its order with the next write unknown). State writes became
 * asynchronous (`writeWhenFree`), and one such call slipped through a merge. A promise meant to run on its own is
 * marked so: `void task()`, or `task.catch(...)` / `task.then(ok, fail)`, which handle its failure.
 */
import { relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

it('src/ drops no promise (await it, return it, or mark it `void`)', () => {
  const root = process.cwd();
  const parsed = ts.getParsedCommandLineOfConfigFile(`${root}/tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error('tsconfig.json could not be read');
  const files = parsed.fileNames.filter((f) => f.startsWith(`${root}/src/`) && !/\.test\.tsx?$/.test(f));
  const program = ts.createProgram(files, parsed.options);
  const checker = program.getTypeChecker();
  const dropped: string[] = [];
  const handled = (call: ts.CallExpression) =>
    ts.isPropertyAccessExpression(call.expression) && (call.expression.name.text === 'catch' || (call.expression.name.text === 'then' && call.arguments.length === 2));
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/src/`)) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isExpressionStatement(n) && ts.isCallExpression(n.expression) && !handled(n.expression)) {
        const type = checker.getTypeAtLocation(n.expression);
        if (type.getSymbol()?.getName() === 'Promise') {
          const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
          dropped.push(`${relative(root, sf.fileName)}:${line + 1}: ${n.getText().slice(0, 100)}`);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  expect(dropped).toEqual([]);
}, 60_000);

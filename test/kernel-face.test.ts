// The kernel's face (docs/design.md, "The kernel's face: corio/lowlevel"),
// checked with the TypeScript compiler: every layer above src/core/ uses only the
// kernel names that `corio` or `corio/lowlevel` export, and no `_underscore`
// member of a kernel object; every public method that returns a promise says
// what a cancellation does to it (a **Cancellation:** section, tokio's "Cancel
// safety").
import assert from 'node:assert/strict';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sourceFiles } from './_helpers.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const rel = (file: string): string => relative(src, file).split('\\').join('/');
const inCore = (file: string): boolean => rel(file).startsWith('core/');

const program = ts.createProgram(sourceFiles(src), {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  types: ['node'],
  lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
});
const checker = program.getTypeChecker();

const ENTRY_POINTS = [
  'index.ts',
  'core/lowlevel.ts',
  'iter/index.ts',
  'testing/index.ts',
  'trace/index.ts',
  'node/index.ts',
  'redis/index.ts',
];

const sourceFile = (path: string): ts.SourceFile => {
  const file = program.getSourceFile(join(src, path));
  assert.ok(file !== undefined, path);
  return file;
};

// The declarations behind a subpath's exports, followed through re-exports.
function exportedDeclarations(entry: string): ts.Declaration[] {
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile(entry));
  assert.ok(moduleSymbol !== undefined, entry);
  return checker.getExportsOfModule(moduleSymbol).flatMap((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return target.declarations ?? [];
  });
}

// The kernel declarations the face hands out: `corio`'s and `corio/lowlevel`'s
// exports that are declared in src/core/.
const face = new Set(
  ['index.ts', 'core/lowlevel.ts']
    .flatMap(exportedDeclarations)
    .filter((d) => inCore(d.getSourceFile().fileName)),
);

const aliasTarget = (node: ts.Node): ts.Symbol | undefined => {
  const symbol = checker.getSymbolAtLocation(node);
  if (symbol === undefined) return undefined;
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
};

function visit(node: ts.Node, fn: (node: ts.Node) => void): void {
  fn(node);
  node.forEachChild((child) => {
    visit(child, fn);
  });
}

const aboveCore = (): ts.SourceFile[] =>
  program
    .getSourceFiles()
    .filter(
      (f) => f.fileName.startsWith(src) && !inCore(f.fileName) && !f.fileName.includes('_internal'),
    );

test('layers above the kernel import from src/core/ only what corio and corio/lowlevel export', () => {
  const private_: string[] = [];
  for (const file of aboveCore()) {
    visit(file, (node) => {
      if (!ts.isImportSpecifier(node) && !ts.isExportSpecifier(node)) return;
      const target = aliasTarget(node.name);
      const decl = target?.declarations?.[0];
      if (decl === undefined || !inCore(decl.getSourceFile().fileName)) return;
      if (!target?.declarations?.some((d) => face.has(d))) {
        private_.push(
          `${rel(file.fileName)} imports ${node.name.text} from ${rel(decl.getSourceFile().fileName)}`,
        );
      }
    });
  }
  assert.deepEqual(private_, []);
});

test('layers above the kernel touch no _underscore member of a kernel object', () => {
  const touched: string[] = [];
  for (const file of aboveCore()) {
    visit(file, (node) => {
      if (!ts.isPropertyAccessExpression(node) || !node.name.text.startsWith('_')) return;
      const decl = checker.getSymbolAtLocation(node.name)?.declarations?.[0];
      if (decl !== undefined && inCore(decl.getSourceFile().fileName)) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart());
        touched.push(`${rel(file.fileName)}:${line + 1} uses ${node.name.text}`);
      }
    });
  }
  assert.deepEqual(touched, []);
});

// Public methods and functions that return a promise (the waiting ones).
function promiseReturning(decl: ts.Declaration): { name: string; node: ts.Node }[] {
  const out: { name: string; node: ts.Node }[] = [];
  const returnsPromise = (sig: ts.Signature | undefined): boolean => {
    if (sig === undefined) return false;
    const name = checker.getReturnTypeOfSignature(sig).getSymbol()?.getName();
    return name === 'Promise' || name === 'PromiseLike';
  };
  if (ts.isFunctionDeclaration(decl) && decl.name !== undefined) {
    if (returnsPromise(checker.getSignatureFromDeclaration(decl))) {
      out.push({ name: decl.name.text, node: decl });
    }
  }
  if (ts.isClassDeclaration(decl) && decl.name !== undefined) {
    for (const member of decl.members) {
      if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name)) continue;
      const name = member.name.text;
      const modifiers = ts.getCombinedModifierFlags(member);
      if (
        name.startsWith('_') ||
        modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
      ) {
        continue;
      }
      if (returnsPromise(checker.getSignatureFromDeclaration(member))) {
        out.push({ name: `${decl.name.text}.${name}`, node: member });
      }
    }
  }
  return out;
}

// `[Symbol.asyncDispose]` and iterator steps (`next`, `return`) are protocol
// methods, documented by their class; `then` makes a task awaitable.
const PROTOCOL = new Set(['next', 'return', 'then']);

// The doc comments of a declaration and of its overloads (the doc usually sits
// on the first overload).
function docsOf(node: ts.Node): string {
  const name = (node as ts.NamedDeclaration).name;
  const symbol = name === undefined ? undefined : checker.getSymbolAtLocation(name);
  const decls = symbol?.declarations ?? [node];
  return decls
    .flatMap((d) => ts.getJSDocCommentsAndTags(d))
    .map((d) => d.getText())
    .join('\n');
}

test('every public method that returns a promise has a **Cancellation:** section', () => {
  const missing = new Set<string>();
  for (const entry of ENTRY_POINTS) {
    for (const decl of exportedDeclarations(entry)) {
      for (const { name, node } of promiseReturning(decl)) {
        if (PROTOCOL.has(name.split('.').pop() as string)) continue;
        if (!docsOf(node).includes('**Cancellation:**')) {
          missing.add(`${name} (${rel(node.getSourceFile().fileName)})`);
        }
      }
    }
  }
  assert.deepEqual([...missing].sort(), []);
});

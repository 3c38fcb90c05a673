// `node --import tsx scripts/kernel-counts.ts [tree]`: how much of corio's kernel
// the layers above it reach into, in a checkout of corio (default: this one).
// Prints the names that files outside src/core/ import from src/core/ although
// no entry point of the package exports them, the underscore members of kernel
// objects those files touch, and the largest files of src/core/. The kernel-face
// test holds the first two at zero; this script gives the figures for an older
// tree too (issue #12's before and after).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? process.cwd();
const coreDir = join(root, 'src', 'core') + '/';

interface PackageJson {
  readonly exports: Record<string, string | Record<string, string>>;
}

// The source file behind each subpath export.
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const out: string[] = [];
  for (const target of Object.values(pkg.exports)) {
    const file =
      typeof target === 'string' ? target : (target['corio-source'] ?? target['default']);
    if (file === undefined || !/\.(ts|js)$/.test(file)) continue;
    const source = file
      .replace(/^\.\//, '')
      .replace(/^dist\//, 'src/')
      .replace(/\.js$/, '.ts');
    if (statSync(join(root, source), { throwIfNoEntry: false })?.isFile() === true) {
      out.push(join(root, source));
    }
  }
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = sourceFiles(join(root, 'src'));
const program = ts.createProgram(files, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  noEmit: true,
});
const checker = program.getTypeChecker();
const unalias = (s: ts.Symbol): ts.Symbol =>
  (s.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s) : s;

const exported = new Set<ts.Symbol>();
for (const entry of entryPoints()) {
  const sf = program.getSourceFile(entry);
  const module = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
  if (module === undefined) continue;
  for (const s of checker.getExportsOfModule(module)) exported.add(unalias(s));
}

const privateNames = new Map<string, number>();
let privateImports = 0;
const underscore = new Map<string, number>();
for (const file of files) {
  if (file.startsWith(coreDir)) continue;
  const sf = program.getSourceFile(file);
  if (sf === undefined) continue;
  for (const node of sf.statements) {
    if (!ts.isImportDeclaration(node) || !ts.isStringLiteral(node.moduleSpecifier)) continue;
    const spec = node.moduleSpecifier.text;
    if (!spec.startsWith('.') || !/(^|\/)core\//.test(spec)) continue;
    const bindings = node.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      const symbol = checker.getSymbolAtLocation(element.name);
      if (symbol === undefined) continue;
      const target = unalias(symbol);
      if (exported.has(target)) continue;
      privateImports++;
      privateNames.set(target.name, (privateNames.get(target.name) ?? 0) + 1);
    }
  }
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text.startsWith('_') &&
      node.expression.kind !== ts.SyntaxKind.ThisKeyword
    ) {
      const type = checker.getTypeAtLocation(node.expression);
      const declared = (type.getSymbol() ?? type.aliasSymbol)?.declarations?.[0];
      if (declared?.getSourceFile().fileName.startsWith(coreDir) === true) {
        const key = relative(root, file);
        underscore.set(key, (underscore.get(key) ?? 0) + 1);
      }
    }
    node.forEachChild(visit);
  };
  visit(sf);
}

const largest = readdirSync(coreDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({
    name,
    lines: readFileSync(join(coreDir, name), 'utf8').split('\n').length - 1,
  }))
  .sort((a, b) => b.lines - a.lines)
  .slice(0, 4);

const uses = [...underscore.values()].reduce((a, b) => a + b, 0);
console.log(root);
console.log(
  `private kernel names imported above core: ${privateImports} imports of ${privateNames.size} names`,
);
console.log(`kernel underscore members used above core: ${uses}, in ${underscore.size} files`);
console.log(`largest core files: ${largest.map((f) => `${f.name} ${f.lines}`).join(', ')}`);

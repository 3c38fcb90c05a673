// Import direction runs one way (STYLE.md "Folder layout"); this test reads the
// import lines of every source file and enforces it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from './_helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

interface Import {
  readonly from: string;
  readonly to: string;
}

function imports(): Import[] {
  const found: Import[] = [];
  for (const file of sourceFiles(root)) {
    const from = relative(root, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)) {
      const spec = match[1] as string;
      const to = spec.startsWith('.')
        ? posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts')
        : spec;
      found.push({ from, to });
    }
  }
  return found;
}

// The folder (layer) of a path under src/: '_internal', 'core', 'errors', 'index', …
const layer = (path: string): string =>
  path.includes('/') ? (path.split('/')[0] as string) : path.replace(/\.ts$/, '');

// The middle layers in a fixed order: each imports only the kernel and the
// layers before it, so there is no sync <-> group <-> cancel free-for-all.
const MIDDLE = ['sync', 'cancel', 'group', 'queue', 'iter'] as const;
const BASE = ['core', '_internal', 'errors'];
const PORTABLE = [...BASE, ...MIDDLE];

const allowed: Record<string, readonly string[]> = {
  errors: [],
  _internal: ['_internal'],
  core: BASE,
  ...Object.fromEntries(
    MIDDLE.map((name, i) => [name, [...BASE, ...MIDDLE.slice(0, i + 1)]] as const),
  ),
  testing: [...PORTABLE, 'testing', 'trace'],
  trace: [...PORTABLE, 'trace'],
  // corio/node imports the public faces, `corio` (index.ts) included (checked below).
  node: [...PORTABLE, 'testing', 'trace', 'node', 'index'],
  // corio/redis reaches corio through its public entry points too (index.ts for
  // `corio`; kernel-face.test.ts checks that only public names are used).
  redis: [...PORTABLE, 'index', 'testing', 'trace', 'node', 'redis'],
  index: [...PORTABLE, 'trace'],
};

test('every source file imports only from the layers below it', () => {
  const violations: string[] = [];
  for (const { from, to } of imports()) {
    if (to.startsWith('node:')) continue;
    const rule = allowed[layer(from)];
    assert.ok(rule !== undefined, `no layering rule for ${from}`);
    if (!rule.includes(layer(to))) violations.push(`${from} imports ${to}`);
  }
  assert.deepEqual(violations, []);
});

test('no import cycle runs between folders', () => {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports()) {
    if (to.startsWith('node:') || !to.includes('/') || layer(from) === layer(to)) continue;
    const out = edges.get(layer(from)) ?? new Set<string>();
    out.add(layer(to));
    edges.set(layer(from), out);
  }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]): void => {
    if (path.includes(node)) {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
  };
  for (const node of edges.keys()) visit(node, []);
  assert.deepEqual(cycles, []);
});

test('src/_internal imports nothing from the kernel (or anything above it)', () => {
  const up = imports().filter(
    ({ from, to }) => layer(from) === '_internal' && to.includes('/') && layer(to) !== '_internal',
  );
  assert.deepEqual(up, []);
});

// The only files of the portable layers that src/node/ may import: the entry
// points of `corio`, `corio/lowlevel`, `corio/iter`, `corio/testing` and
// `corio/trace`, so the kernel and the layers can change behind them.
const publicFaces = new Set([
  'index.ts',
  'core/lowlevel.ts',
  'iter/index.ts',
  'testing/index.ts',
  'trace/index.ts',
]);

test('corio/node reaches the rest of corio only through its public faces', () => {
  const violations = imports()
    .filter(({ from, to }) => layer(from) === 'node' && !to.startsWith('node:'))
    .filter(
      ({ to }) => !['node', '_internal', 'errors'].includes(layer(to)) && !publicFaces.has(to),
    )
    .map(({ from, to }) => `${from} imports ${to}`);
  assert.deepEqual(violations, []);
});

test("corio/node calls no underscore member but its own (the kernel's are private)", () => {
  const nodeFiles = sourceFiles(join(root, 'node'));
  const texts = nodeFiles.map((file) => readFileSync(file, 'utf8'));
  // An underscore member is corio/node's own when a node file declares it.
  const own = new Set(
    texts.flatMap((text) =>
      [...text.matchAll(/^\s*(?:static\s+)?(_\w+)\s*[(:=<]/gm)].map((m) => m[1]),
    ),
  );
  const violations: string[] = [];
  for (const [i, text] of texts.entries()) {
    for (const m of text.matchAll(/\.(_\w+)\b/g)) {
      if (!own.has(m[1]))
        violations.push(`${relative(root, nodeFiles[i] as string)}: .${m[1] as string}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the portable core imports no Node module but node:async_hooks, in core/context.ts', () => {
  const nodeImports = imports().filter(
    ({ from, to }) => to.startsWith('node:') && !['node', 'redis'].includes(layer(from)),
  );
  assert.deepEqual(nodeImports, [{ from: 'core/context.ts', to: 'node:async_hooks' }]);
});

test('only src/redis/ imports the optional peer @redis/client', () => {
  const outside = imports().filter(
    ({ from, to }) => to.startsWith('@redis/') && layer(from) !== 'redis',
  );
  assert.deepEqual(outside, []);
});

test('the package has no runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(pkg['dependencies'], undefined);
});

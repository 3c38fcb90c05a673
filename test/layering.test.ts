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

const allowed: Record<string, readonly string[]> = {
  errors: [],
  _internal: ['_internal'],
  core: ['core', '_internal', 'errors'],
  cancel: ['cancel', 'core', '_internal', 'errors', 'group', 'sync'],
  group: ['group', 'core', '_internal', 'errors', 'cancel', 'sync'],
  sync: ['sync', 'core', '_internal', 'errors', 'cancel', 'group'],
  queue: ['queue', 'sync', 'core', '_internal', 'errors', 'cancel', 'group'],
  iter: ['iter', 'core', '_internal', 'errors', 'cancel', 'group', 'sync', 'queue'],
  testing: ['testing', 'core', '_internal', 'errors', 'cancel', 'group', 'sync', 'queue'],
  trace: ['trace', 'core', '_internal', 'errors'],
  node: [
    'node',
    'core',
    '_internal',
    'errors',
    'cancel',
    'group',
    'sync',
    'queue',
    'iter',
    'index',
  ],
  index: ['core', 'errors', 'cancel', 'group', 'sync', 'queue'],
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

test('the portable core imports no Node module but node:async_hooks, in core/context.ts', () => {
  const nodeImports = imports().filter(
    ({ from, to }) => to.startsWith('node:') && layer(from) !== 'node',
  );
  assert.deepEqual(nodeImports, [{ from: 'core/context.ts', to: 'node:async_hooks' }]);
});

test('the package has no runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(pkg['dependencies'], undefined);
});

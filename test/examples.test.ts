// Runs every runnable example: each `@example` block of a module header in src/,
// and each program in examples/, comparing what it prints with its `// =>` lines
// (tokio's doctests, Effect's doc examples run as tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { sourceFiles } from './_helpers.js';

const run = promisify(execFile);
const project = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = join(project, 'test', '.examples');

interface Example {
  readonly name: string;
  readonly code: string;
  readonly expected: string[];
}

/** The @example blocks of a file's doc comments: code, and the `// =>` lines it must print. */
export function examplesOf(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const found: Example[] = [];
  for (const match of text.matchAll(/@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g)) {
    const body = (match[1] as string)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    const expected = [...body.matchAll(/^\/\/ => ?(.*)$/gm)].map((m) => m[1] as string);
    found.push({ name: `${relative(project, file)} #${found.length + 1}`, code: body, expected });
  }
  return found;
}

const virtualDefault = pathToFileURL(join(project, 'test', '_virtual-default.ts')).href;

async function stdoutOf(file: string, args: string[] = []): Promise<string[]> {
  const flags = ['--conditions=corio-source', '--import', 'tsx', '--import', virtualDefault];
  const { stdout } = await run(process.execPath, [...flags, file, ...args], {
    cwd: project,
    timeout: 60_000,
  });
  return stdout.trimEnd().split('\n');
}

mkdirSync(scratch, { recursive: true });
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('module header examples print what they say', { concurrency: 4 }, () => {
  const examples = sourceFiles(join(project, 'src')).flatMap(examplesOf);
  test('every source module has a runnable example', () => {
    const without = sourceFiles(join(project, 'src')).filter(
      (file) => examplesOf(file).length === 0 && !file.includes('_internal'),
    );
    assert.deepEqual(
      without.map((f) => relative(project, f)),
      [],
    );
  });
  for (const [i, example] of examples.entries()) {
    test(example.name, async () => {
      assert.ok(example.expected.length > 0, 'the example shows its output with // =>');
      const file = join(scratch, `example-${i}.ts`);
      writeFileSync(file, example.code);
      assert.deepEqual(await stdoutOf(file), example.expected);
    });
  }
});

test('the demo prints the seed programs’ output in virtual time', async () => {
  const out = join(tmpdir(), `corio-demo-test-${process.pid}`);
  const lines = (
    await stdoutOf(join(project, 'examples', 'demo.ts'), ['--virtual', '--out', out])
  ).map((line) => line.replace(out, '<out>'));
  // The seed's diagram, drawn from the demo's own run.
  assert.match(
    readFileSync(join(out, 'gather.mmd'), 'utf8'),
    /loop->>B: resume after sleep\(1000\)\n\s{4}B-->>loop: completed/,
  );
  assert.deepEqual(
    lines,
    readFileSync(join(project, 'test', 'demo.expected.txt'), 'utf8')
      .trimEnd()
      .split('\n'),
  );
});

test('examples/*.ts print what their // => lines say', async () => {
  const dir = join(project, 'examples');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'demo.ts')) {
    const file = join(dir, name);
    const expected = [...readFileSync(file, 'utf8').matchAll(/^\/\/ => ?(.*)$/gm)].map(
      (m) => m[1] as string,
    );
    assert.ok(expected.length > 0, `${name} shows its output with // =>`);
    assert.deepEqual(await stdoutOf(file), expected, name);
  }
});

test('the README taste is examples/taste.ts, word for word', () => {
  const readme = readFileSync(join(project, 'README.md'), 'utf8');
  const block = /## A taste\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(block, readFileSync(join(project, 'examples', 'taste.ts'), 'utf8'));
});

test('each guide quotes its example file word for word', () => {
  const guides = join(project, 'docs', 'guide');
  for (const name of readdirSync(guides).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(guides, name), 'utf8');
    const quotes = [...text.matchAll(/<!-- example: (\S+) -->\n\n```ts\n([\s\S]*?)```/g)];
    assert.ok(quotes.length > 0, `${name} quotes an example`);
    for (const [, file, code] of quotes) {
      assert.equal(
        code,
        readFileSync(join(project, file as string), 'utf8'),
        `${name} quotes ${file}`,
      );
    }
  }
});

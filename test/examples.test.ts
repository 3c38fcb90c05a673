// Runs every runnable example: each `@example` block of a module header in src/,
// and each program in examples/, comparing what it prints with its `// =>` lines
// (tokio's doctests, Effect's doc examples run as tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  NOT_A_PROGRAM,
  OUT,
  excludedBlocks,
  markdownExamples,
  moduleExamples,
  programs,
  root as project,
  sourceFiles,
} from '../scripts/examples.js';
import { needsRedis, noRedis, type RunningRedis, startRedis } from '../scripts/redis-server.js';

const run = promisify(execFile);
const scratch = join(project, 'test', '.examples');

const virtualDefault = pathToFileURL(join(project, 'test', '_virtual-default.ts')).href;
const tsxInWorkers = pathToFileURL(join(project, 'scripts', 'tsx-in-workers.mjs')).href;

// The examples that use corio/redis share one redis-server of the test's own
// (REDIS_URL); without redis-server they report themselves skipped.
let redis: RunningRedis | null = null;
before(async () => {
  if (noRedis === null) redis = await startRedis();
});
after(async () => {
  await redis?.dispose();
});
const skipUnlessRedis = (code: string): { skip?: string } =>
  needsRedis(code) && noRedis !== null ? { skip: noRedis } : {};

async function stdoutOf(file: string, args: string[] = []): Promise<string[]> {
  const flags = [
    '--conditions=corio-source',
    '--import',
    'tsx',
    '--import',
    tsxInWorkers,
    '--import',
    virtualDefault,
  ];
  const env = redis === null ? process.env : { ...process.env, REDIS_URL: redis.url };
  const { stdout } = await run(process.execPath, [...flags, file, ...args], {
    cwd: project,
    timeout: 60_000,
    env,
  });
  return stdout.trimEnd().split('\n');
}

mkdirSync(scratch, { recursive: true });
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('module header examples print what they say', { concurrency: 4 }, () => {
  const examples = sourceFiles(join(project, 'src')).flatMap(moduleExamples);
  test('every source module has a runnable example', () => {
    const without = sourceFiles(join(project, 'src')).filter(
      (file) => moduleExamples(file).length === 0 && !file.includes('_internal'),
    );
    assert.deepEqual(
      without.map((f) => relative(project, f)),
      [],
    );
  });
  for (const [i, example] of examples.entries()) {
    test(example.name, skipUnlessRedis(example.code), async () => {
      assert.ok(example.expected.length > 0, 'the example shows its output with // =>');
      const file = join(scratch, `example-${i}.ts`);
      writeFileSync(file, example.code);
      assert.deepEqual(await stdoutOf(file), example.expected);
    });
  }
});

describe('examples/ programs print what they say', () => {
  for (const example of programs()) {
    test(example.name, skipUnlessRedis(example.code), async (t) => {
      assert.ok(example.expected.length > 0, 'the program shows its output with // =>');
      const out = mkdtempSync(join(tmpdir(), 'corio-example-'));
      t.after(() => {
        rmSync(out, { recursive: true, force: true });
      });
      const args = example.args.map((arg) => (arg === OUT ? out : arg));
      const lines = (await stdoutOf(join(project, example.file), args)).map((line) =>
        line.replaceAll(out, OUT),
      );
      assert.deepEqual(lines, example.expected);
      if (example.file === join('examples', 'demo.ts')) {
        // The seed's diagram, drawn from the demo's own run.
        assert.match(
          readFileSync(join(out, 'gather.mmd'), 'utf8'),
          /loop->>B: resume after sleep\(1000\)\n\s{4}B-->>loop: completed/,
        );
      }
    });
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

test('a Markdown ts block is an example unless marked not-a-program, and knows its line', () => {
  const file = join(scratch, 'blocks.md');
  const fence = '```';
  writeFileSync(
    file,
    [
      '# Title',
      '',
      `${fence}ts`,
      "console.log('a');",
      '// => a',
      fence,
      '',
      NOT_A_PROGRAM,
      '',
      `${fence}ts`,
      'tg.spawn(work);',
      fence,
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    markdownExamples(file).map(({ name, code, expected }) => ({ name, code, expected })),
    [{ name: 'test/.examples/blocks.md:4', code: "console.log('a');\n// => a\n", expected: ['a'] }],
  );
  assert.deepEqual(excludedBlocks(file), ['test/.examples/blocks.md:11']);
});

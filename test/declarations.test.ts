// The declarations corio ships (dist/*.d.ts, built with stripInternal) must
// type-check in a user's project with TypeScript's default `skipLibCheck: false`.
// The project type-checks itself against src/, where an `@internal` member is still
// there, so only the built .d.ts shows what stripInternal broke. This is the fast
// form of `npm run check:consumer`, which also type-checks and runs every example
// against the packed package.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { root } from '../scripts/examples.js';

const exec = promisify(execFile);
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const consumer = mkdtempSync(join(tmpdir(), 'corio-declarations-'));
after(() => {
  rmSync(consumer, { recursive: true, force: true });
});

/** tsc's complaints, one per line, with the consumer's folder left out; [] if none. */
async function complaints(args: string[]): Promise<string[]> {
  try {
    await exec(tsc, args, { cwd: consumer, timeout: 120_000 });
    return [];
  } catch (error) {
    const { stdout } = error as { stdout?: string };
    if (stdout === undefined) throw error;
    return stdout.replaceAll(`${consumer}/`, '').trimEnd().split('\n');
  }
}

test('the built declarations type-check in a strict project with skipLibCheck false', async () => {
  const installed = join(consumer, 'node_modules', 'corio');
  mkdirSync(installed, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(installed, 'package.json'));
  const build = ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')];
  assert.deepEqual(await complaints([...build, '--sourceMap', 'false']), []);

  writeFileSync(join(consumer, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['probe.ts'],
    }),
  );
  // Every subpath, so that every shipped .d.ts is checked, and the calls that
  // failed in users' projects (a VirtualClock given where a Clock is wanted).
  // The subpaths come from the exports map, so a new one is checked too.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json');
  const imports = subpaths.map((key, i) => `import * as m${i} from '${join('corio', key)}';`);
  writeFileSync(
    join(consumer, 'probe.ts'),
    [
      ...imports,
      "import * as corio from 'corio';",
      "import * as testing from 'corio/testing';",
      '',
      'testing.setDefaultClock(() => new testing.VirtualClock());',
      'await corio.run(async () => corio.sleep(1), { clock: new testing.VirtualClock() });',
      'const clock: corio.Clock = new testing.VirtualClock({ autojump: false });',
      `export { clock, ${subpaths.map((_, i) => `m${i}`).join(', ')} };`,
      // Objects corio hands out must not be constructible from the declarations:
      // a stripped @internal constructor would read as a public one taking nothing.
      "import * as iter from 'corio/iter';",
      "import * as node from 'corio/node';",
      'export function handMade(): void {',
      ...[
        'corio.Guard',
        'corio.Task',
        'corio.TaskGroup',
        'corio.Handle',
        'corio.TimerHandle',
        'corio.SendChannel',
        'corio.ReceiveChannel',
        'iter.PoolLease',
        'iter.ContextManagerHandle',
        'node.Process',
      ].flatMap((cls) => ['  // @ts-expect-error', `  void new ${cls}();`]),
      '}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(await complaints(['-p', consumer]), []);
});

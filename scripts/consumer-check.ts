// `npm run check:consumer`: corio as a user gets it. Builds and packs the package,
// installs the tarball in a fresh `"type": "module"` project in a temp folder, then
// type-checks every example (scripts/examples.ts: README.md, docs/, examples/ and
// the @example blocks of src/) against the installed package, with `strict` and
// `skipLibCheck: false`, on the project's pinned TypeScript 7 and 6 and on the
// latest 5.x; then runs them, with the virtual default clock set in a preload
// through corio's public `setDefaultClock`, and compares what they print with
// their `// =>` lines. Exits 1 on any failure, keeping the temp project to look at.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Example, OUT, allExamples, excludedBlocks, markdownFiles, root } from './examples.js';
import { needsRedis, noRedis, startRedis } from './redis-server.js';

/** The newest TypeScript 5.x: users who have not moved to 6 or 7 are on it. */
const TS5 = '5.9.3';

const exec = promisify(execFile);
const started = performance.now();
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const failures: string[] = [];
/** The examples that failed a type-check or a run, by name. */
const failed = new Set<string>();

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; a non-zero exit is an outcome, not a throw. */
async function sh(
  file: string,
  args: string[],
  cwd: string,
  timeout = 300_000,
  env?: NodeJS.ProcessEnv,
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd, timeout, maxBuffer: 64 << 20, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    };
  }
}

async function step(what: string, file: string, args: string[], cwd: string): Promise<string> {
  const t = performance.now();
  const out = await sh(file, args, cwd);
  if (out.code !== 0) {
    console.error(`consumer check: ${what} failed (exit ${out.code})\n${out.stdout}${out.stderr}`);
    process.exit(1);
  }
  console.log(`== ${what} (${seconds(t)})`);
  return out.stdout;
}

// 1. The package, as npm would publish it.
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const project = mkdtempSync(join(tmpdir(), 'corio-consumer-'));
await step('build', npm, ['run', '--silent', 'build'], root);
// Built just above; `prepack` would build again, and print into the JSON.
const packed = JSON.parse(
  await step(
    'pack',
    npm,
    ['pack', '--json', '--ignore-scripts', '--pack-destination', project],
    root,
  ),
) as [{ filename: string }];
const tarball = join(project, packed[0].filename);

// 2. A fresh ESM project that installs it, with the @types/node corio is built against.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const typesNode = pkg.devDependencies['@types/node'] ?? 'latest';
writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify({ name: 'corio-consumer', private: true, type: 'module' }, null, 2)}\n`,
);
// corio/redis's optional peer, at the version corio is tested with: a user of
// corio/redis installs it beside corio.
const redisClient = `@redis/client@${pkg.devDependencies['@redis/client'] ?? 'latest'}`;
const install = [tarball, `typescript@${TS5}`, `@types/node@${typesNode}`, redisClient];
await step(
  `npm install ${install.slice(1).join(' ')} and the tarball`,
  npm,
  ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...install],
  project,
);

// 3. Each example as a file of the user's project.
const examples = allExamples();
const fileOf = new Map<string, Example>();
mkdirSync(join(project, 'examples'));
for (const example of examples) {
  const slug = example.name.replace(/[^A-Za-z0-9]+/g, '-');
  fileOf.set(`examples/${slug}.ts`, example);
  writeFileSync(join(project, 'examples', `${slug}.ts`), example.code);
}
writeFileSync(
  join(project, 'preload.ts'),
  [
    '// Examples written with real sleeps run in virtual time, instantly.',
    "import { VirtualClock, setDefaultClock } from 'corio/testing';",
    '',
    'setDefaultClock(() => new VirtualClock());',
    '',
  ].join('\n'),
);
writeFileSync(
  join(project, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        moduleDetection: 'force',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        rootDir: '.',
        outDir: 'out',
      },
      include: ['examples', 'preload.ts'],
    },
    null,
    2,
  )}\n`,
);

// 4. Type-check on each TypeScript; the pinned one also emits what step 5 runs.
/** tsc's diagnostics, each pointed back at the example's own file and line. */
function located(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    const at = /^(examples\/[^(]+)\((\d+),\d+\): (.*)$/.exec(line);
    const example = at === null ? undefined : fileOf.get(at[1] as string);
    if (at !== null && example !== undefined) {
      failed.add(example.name);
      found.push(`${example.file}:${example.line + Number(at[2]) - 1}: ${at[3] as string}`);
    } else if (/^\S/.test(line)) {
      found.push(line);
    } else if (line.trim() !== '' && found.length > 0) {
      found.push(`${found.pop() ?? ''}\n    ${line.trim()}`);
    }
  }
  return found;
}

const compilers = [
  { bin: join(root, 'node_modules', '.bin', 'tsc'), emit: true },
  { bin: join(root, 'node_modules', '.bin', 'tsc6'), emit: false },
  { bin: join(project, 'node_modules', '.bin', 'tsc'), emit: false },
];
const versions: string[] = [];
for (const { bin, emit } of compilers) {
  const version = (await sh(bin, ['--version'], project)).stdout.trim().replace(/^Version /, '');
  versions.push(version);
  const t = performance.now();
  const args = ['-p', '.', '--pretty', 'false', ...(emit ? [] : ['--noEmit'])];
  const out = await sh(bin, args, project);
  const errors = located(out.stdout + out.stderr);
  if (out.code !== 0 && errors.length === 0) errors.push(`tsc exited ${out.code}`);
  for (const error of errors) failures.push(`TypeScript ${version}: ${error}`);
  const verdict = errors.length === 0 ? 'clean' : `${errors.length} errors`;
  console.log(`== type-check on TypeScript ${version}: ${verdict} (${seconds(t)})`);
}

// 5. Run each example as its compiled JavaScript, as a user would; those that use
// corio/redis against a redis-server of our own (REDIS_URL), or not at all when
// there is none (they were type-checked all the same).
const preload = pathToFileURL(join(project, 'out', 'preload.js')).href;
const redis = noRedis === null ? await startRedis() : null;
let skipped = 0;
async function check(example: Example, file: string): Promise<string | null> {
  if (redis === null && needsRedis(example.code)) {
    skipped += 1;
    return null;
  }
  const out = mkdtempSync(join(project, 'out-'));
  const args = example.args.map((arg) => (arg === OUT ? out : arg));
  const js = join(project, 'out', file.replace(/\.ts$/, '.js'));
  const env = redis === null ? undefined : { ...process.env, REDIS_URL: redis.url };
  const ran = await sh(process.execPath, ['--import', preload, js, ...args], project, 60_000, env);
  if (ran.code !== 0) return `exited ${ran.code}\n${ran.stderr.trimEnd()}`;
  if (example.expected.length === 0) return null;
  const lines = ran.stdout.trimEnd().split('\n');
  const printed = lines.map((line) => line.replaceAll(out, OUT));
  const at = printed.findIndex((line, i) => line !== example.expected[i]);
  if (at === -1 && printed.length === example.expected.length) return null;
  const line = at === -1 ? printed.length : at;
  return (
    `prints something else from output line ${line + 1}:\n` +
    `    expected: ${JSON.stringify(example.expected[line] ?? '(nothing more)')}\n` +
    `    printed:  ${JSON.stringify(printed[line] ?? '(nothing more)')}`
  );
}

const t = performance.now();
const queue = [...fileOf.entries()];
let compared = 0;
await Promise.all(
  Array.from({ length: Math.min(availableParallelism(), 4) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [file, example] = next;
      if (example.expected.length > 0 && (redis !== null || !needsRedis(example.code)))
        compared += 1;
      const failure = await check(example, file);
      if (failure === null) continue;
      failed.add(example.name);
      failures.push(`${example.name}: ${failure}`);
    }
  }),
);
await redis?.dispose();
console.log(
  `== ran ${fileOf.size - skipped} examples, ${compared} compared with their // => lines (${seconds(t)})`,
);
if (skipped > 0)
  console.log(`== skipped running ${skipped} corio/redis examples: ${noRedis ?? ''}`);

// 6. The summary.
const excluded = markdownFiles().flatMap(excludedBlocks);
const where = (what: string): number => examples.filter((e) => e.file.startsWith(what)).length;
console.log(
  `\n${examples.length} examples (${where('README')} README, ${where('docs')} docs, ` +
    `${where('examples')} examples/, ${where('src')} module headers) type-checked on ` +
    `TypeScript ${versions.join(', ')} against the packed corio, and run; ` +
    `${excluded.length} Markdown blocks marked not-a-program${excluded.length > 0 ? ` (${excluded.join(', ')})` : ''}.`,
);
if (failures.length > 0) {
  console.log(`\n${failures.length} failures:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  console.log(`\n${failed.size} of ${examples.length} examples failed.`);
  console.log(`\nThe consumer project is kept at ${project}`);
  console.log(`consumer check: FAILED in ${seconds(started)}`);
  process.exit(1);
}
rmSync(project, { recursive: true, force: true });
console.log(`consumer check: passed in ${seconds(started)}`);

// What counts as an example, and where each one is: the `@example` blocks of the
// module headers in src/, the ```ts blocks of README.md and docs/, and the programs
// in examples/. test/examples.test.ts runs them against the sources;
// scripts/consumer-check.ts type-checks and runs them against the packed package.
// Both read them here, so the two cannot disagree on what an example is.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Put before a ```ts block in Markdown that is a fragment, not a program. */
export const NOT_A_PROGRAM = '<!-- not-a-program -->';

/** Stands for the demo's output folder, in its arguments and its expected output. */
export const OUT = '<out>';

export interface Example {
  /** Where it starts, as `file:line`. */
  readonly name: string;
  /** The file it comes from, relative to the project. */
  readonly file: string;
  /** The line of `file` that holds the example's first line of code (1-based). */
  readonly line: number;
  readonly code: string;
  /** What it must print, line by line; empty when it does not say. */
  readonly expected: readonly string[];
  /** Command-line arguments it runs with. */
  readonly args: readonly string[];
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

const example = (file: string, line: number, code: string, more?: Partial<Example>): Example => ({
  name: `${relative(root, file)}:${line}`,
  file: relative(root, file),
  line,
  code,
  expected: expectedOutput(code),
  args: [],
  ...more,
});

/** The `// =>` lines of an example: what it prints. */
export function expectedOutput(code: string): string[] {
  return [...code.matchAll(/^\/\/ => ?(.*)$/gm)].map((m) => m[1] as string);
}

/** Every `.ts` file below `dir`, recursively, in a stable order. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) =>
      entry.isDirectory()
        ? sourceFiles(join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [join(dir, entry.name)]
          : [],
    );
}

/** The `@example` blocks of a source file's doc comments. */
export function moduleExamples(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const found: Example[] = [];
  for (const match of text.matchAll(/@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g)) {
    const body = (match[1] as string)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    const start = match.index + match[0].indexOf('```ts\n') + '```ts\n'.length;
    found.push(example(file, lineAt(text, start), body));
  }
  return found;
}

/** The ```ts blocks of a Markdown file, except those marked {@link NOT_A_PROGRAM}. */
export function markdownExamples(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const found: Example[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const before = text.slice(0, match.index).trimEnd();
    if (before.endsWith(NOT_A_PROGRAM)) continue;
    found.push(example(file, lineAt(text, match.index) + 1, match[1] as string));
  }
  return found;
}

/** The ```ts blocks marked {@link NOT_A_PROGRAM}, as `file:line`, to be counted. */
export function excludedBlocks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^```ts\n/gm)]
    .filter((m) => text.slice(0, m.index).trimEnd().endsWith(NOT_A_PROGRAM))
    .map((m) => `${relative(root, file)}:${lineAt(text, m.index) + 1}`);
}

/**
 * The programs of examples/. The demo says what it prints in a file of its own
 * (test/demo.expected.txt), and runs in virtual time, writing into {@link OUT}.
 */
export function programs(): Example[] {
  const dir = join(root, 'examples');
  return sourceFiles(dir).map((file) => {
    const code = readFileSync(file, 'utf8');
    if (relative(dir, file) !== 'demo.ts') return example(file, 1, code);
    const expected = readFileSync(join(root, 'test', 'demo.expected.txt'), 'utf8');
    return example(file, 1, code, {
      expected: expected.trimEnd().split('\n'),
      args: ['--virtual', '--out', OUT],
    });
  });
}

/** The Markdown files whose ```ts blocks are examples: README.md and docs/. */
export function markdownFiles(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) =>
        entry.isDirectory()
          ? docs(join(dir, entry.name))
          : entry.name.endsWith('.md')
            ? [join(dir, entry.name)]
            : [],
      );
  return [join(root, 'README.md'), ...docs(join(root, 'docs'))];
}

/** Every example of the project, in a stable order. */
export function allExamples(): Example[] {
  return [
    ...markdownFiles().flatMap(markdownExamples),
    ...programs(),
    ...sourceFiles(join(root, 'src')).flatMap(moduleExamples),
  ];
}

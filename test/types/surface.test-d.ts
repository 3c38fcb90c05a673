// Type tests: checked by `npm run typecheck` (tsc), never executed. A line under
// `@ts-expect-error` must fail to compile, so a loosened type breaks the build.
import {
  type CancelScope,
  type Task,
  cancelScope,
  createTask,
  gather,
  moveOnAfter,
  race,
  shield,
  sleep,
  taskGroup,
  timeout,
  waitFor,
} from 'corio';
import { CancelNode } from 'corio/lowlevel';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const expectType = <T extends true>(_: T): void => {};

export async function surface(): Promise<void> {
  const task = createTask(() => 42);
  expectType<Equal<typeof task, Task<number>>>(true);
  expectType<Equal<Awaited<typeof task>, number>>(true);
  createTask(async ({ signal }) => (await fetch('http://127.0.0.1', { signal })).status);

  const [a, b, c] = await gather(() => sleep(1, 'x'), Promise.resolve(2), task);
  expectType<Equal<[typeof a, typeof b, typeof c], [string, number, number]>>(true);
  const withErrors = await gather(() => 1, { returnExceptions: true });
  const asErrors: [number | Error] = withErrors;
  const fromErrors: typeof withErrors = asErrors;
  void fromErrors;

  const slept = await sleep(1);
  expectType<Equal<typeof slept, void>>(true);
  const sleptValue = await sleep(1, 'v');
  expectType<Equal<typeof sleptValue, string>>(true);
  expectType<Equal<Awaited<ReturnType<typeof timeout<number>>>, number>>(true);
  const moved = await moveOnAfter(10, () => 'v');
  expectType<Equal<typeof moved, string | undefined>>(true);
  const scoped = await cancelScope((scope: CancelScope) => scope.deadline);
  expectType<Equal<typeof scoped, number | undefined>>(true);
  // A body's value is awaited, so a returned child task gives its value.
  const grouped = await taskGroup((tg) => tg.spawn(() => 'child'));
  expectType<Equal<typeof grouped, string | undefined>>(true);
  expectType<Equal<Awaited<ReturnType<typeof race<string>>>, string>>(true);
  const shielded = await shield(task);
  expectType<Equal<typeof shielded, number>>(true);
  const waited = await waitFor(Promise.resolve('p'), 10);
  expectType<Equal<typeof waited, string>>(true);

  // @ts-expect-error: a task body must be a function
  createTask(42);
  // @ts-expect-error: a task is not a number
  expectType<Equal<typeof task, number>>(true);
  // @ts-expect-error: timeout takes ms first (asyncio order)
  await timeout(() => 1, 10);
  // @ts-expect-error: sleep's options come after the value
  await sleep(10, { signal: AbortSignal.abort() }, 'x');
}

export function variance(): void {
  // A task is covariant in its value: it fits where a Task<unknown> is expected.
  const tasks = new Set<Task>();
  tasks.add(createTask(() => 42));
  const numbers: Task<number | string> = createTask(() => 1);
  void numbers;
}

export async function pipelines(): Promise<void> {
  const { chunk, filter, map, pipe, range, zip, merge, flatMap } = await import('corio/iter');
  // Types flow through pipe without annotations.
  const batches = pipe(
    range(0, 10),
    map((n) => `${n}`),
    filter((s) => s.length > 0),
    chunk(2),
  );
  expectType<Equal<typeof batches, AsyncIterable<string[]>>>(true);
  const narrowed = pipe(
    [1, 'a', 2] as (number | string)[],
    filter((x): x is number => typeof x === 'number'),
  );
  expectType<Equal<typeof narrowed, AsyncIterable<number>>>(true);
  const awaited = pipe(
    [1, 2],
    map((n) => Promise.resolve(n > 1), { concurrency: 2 }),
  );
  expectType<Equal<typeof awaited, AsyncIterable<boolean>>>(true);
  const pairs = zip(['a'], range(0, 1));
  expectType<Equal<typeof pairs, AsyncIterable<[string, number]>>>(true);
  const mixed = merge(['a'], range(0, 1));
  expectType<Equal<typeof mixed, AsyncIterable<string | number>>>(true);
  const flat = pipe(
    ['ab'],
    flatMap((s) => s.split('')),
  );
  expectType<Equal<typeof flat, AsyncIterable<string>>>(true);
  const upper = map((n: string) => n.toUpperCase());
  // @ts-expect-error: a stage for strings does not fit a source of numbers
  pipe(range(0, 1), upper);
}

// A Task is a CancelNode to TypeScript as to `instanceof`, though it does not
// extend the class at run time (task.ts): narrowing keeps working.
export function taskIsACancelNode(a: Task | string, b: Task | CancelScope): void {
  if (a instanceof CancelNode) {
    const task: Task = a;
    void task;
  }
  if (!(b instanceof CancelNode)) {
    const none: never = b;
    void none;
  }
  const node: CancelNode = createTask(() => 1);
  void node;
}

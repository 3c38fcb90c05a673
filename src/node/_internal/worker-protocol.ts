/**
 * What a `WorkerPool` and its threads say to each other (`worker-pool.ts` on the
 * calling side, `worker.ts` in the thread), and how an error crosses between
 * them: the structured clone keeps only the message and stack of most errors
 * (a custom class arrives as a plain `Error`, its `name` and `code` lost), so an
 * error travels as its parts and is rebuilt on arrival.
 * @module
 */

/** `workerData` of a corio worker thread: what `worker.ts` recognises itself by. */
export interface CorioWorkerData {
  readonly corioWorker: 1;
  /** The module (a URL) whose exports `WorkerPool.run()` calls. */
  readonly filename: string;
  /**
   * One Int32: the id of the job whose caller was cancelled (0: none). Written
   * with `Atomics.store` by the pool, read by `checkCancelled()` in the thread.
   */
  readonly flag: SharedArrayBuffer;
}

export function isCorioWorkerData(data: unknown): data is CorioWorkerData {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { corioWorker?: unknown }).corioWorker === 1
  );
}

/**
 * Pool → thread, as small as it can be (every job pays for its clone):
 * - a number: cancel the job of that id;
 * - `[id, data]`: call the pool module's default export with `data`
 *   (`pool.run(data)`, the common case);
 * - `[id, args, name, module]`: call export `name` of `module` (null: the
 *   pool's) with `args`.
 */
export type ToWorker =
  | number
  | readonly [id: number, data: unknown]
  | readonly [id: number, args: readonly unknown[], name: string, module: string | null];

export const ERROR = 1;
export const THROWN = 2;
export const CANCELLED = 3;

/**
 * Thread → pool, how a job ended: `[id, value]` when it returned; `[id,
 * WireError, ERROR]` when it threw an Error, `[id, value, THROWN]` anything
 * else; `[id, null, CANCELLED]` when it stopped at its cancellation.
 */
export type FromWorker =
  | readonly [id: number, value: unknown]
  | readonly [id: number, error: WireError, kind: typeof ERROR]
  | readonly [id: number, value: unknown, kind: typeof THROWN]
  | readonly [id: number, value: null, kind: typeof CANCELLED];

/** An Error in parts. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable properties that survived a structured clone (`code`, `errno`, …). */
  readonly props: Readonly<Record<string, unknown>>;
  readonly cause?: WireError | { readonly value: unknown };
}

const MAX_CAUSE_DEPTH = 8;

/** Takes an Error apart for the trip. */
export function toWire(error: Error, depth = 0): WireError {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    try {
      props[key] = structuredClone(value);
    } catch {
      // Not cloneable (a function, a socket): left behind.
    }
  }
  const wire: {
    name: string;
    message: string;
    stack: string | undefined;
    props: Record<string, unknown>;
    cause?: WireError | { value: unknown };
  } = { name: error.name, message: error.message, stack: error.stack, props };
  if ('cause' in error && depth < MAX_CAUSE_DEPTH) {
    const cause: unknown = error.cause;
    if (cause instanceof Error) wire.cause = toWire(cause, depth + 1);
    else {
      try {
        wire.cause = { value: structuredClone(cause) };
      } catch {
        wire.cause = { value: String(cause) };
      }
    }
  }
  return wire;
}

const BUILT_IN: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an Error: the built-in class of that name, or an `Error` carrying the name. */
export function fromWire(wire: WireError): Error {
  const Ctor = BUILT_IN[wire.name] ?? Error;
  const error = new Ctor(wire.message);
  if (error.name !== wire.name) {
    Object.defineProperty(error, 'name', {
      value: wire.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  Object.defineProperty(error, 'stack', {
    value: wire.stack ?? `${wire.name}: ${wire.message}`,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  Object.assign(error, wire.props);
  if (wire.cause !== undefined) {
    const cause = 'value' in wire.cause ? wire.cause.value : fromWire(wire.cause);
    Object.defineProperty(error, 'cause', {
      value: cause,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}

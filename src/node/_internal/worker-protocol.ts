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

/** Pool → thread. */
export type ToWorker =
  | {
      readonly type: 'job';
      readonly id: number;
      /** The module to call into (a URL); null: the pool's `filename`. */
      readonly module: string | null;
      readonly name: string;
      readonly args: readonly unknown[];
    }
  | { readonly type: 'cancel'; readonly id: number };

/** Thread → pool: how a job ended. */
export type FromWorker =
  | { readonly id: number; readonly kind: 'value'; readonly value: unknown }
  | { readonly id: number; readonly kind: 'error'; readonly error: WireError }
  | { readonly id: number; readonly kind: 'thrown'; readonly value: unknown }
  | { readonly id: number; readonly kind: 'cancelled' };

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

/** An error as one line for the fuzzer's reports: its name, message, and the errors it groups. */
export function describe(error: unknown): string {
  if (error instanceof AggregateError) {
    return `${error.name}[${(error.errors as unknown[]).map(describe).join('; ')}]`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

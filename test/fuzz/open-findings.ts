/**
 * Bugs the fuzzer found that are not fixed yet, each with the pattern of the
 * violations it causes. The test slice, `npm run fuzz` and the mutant runner look
 * past them (`--strict` does not), so the fuzzer keeps searching; when a fix
 * lands, its entry goes and the slice guards the fix.
 */
export const OPEN_FINDINGS: readonly { readonly finding: string; readonly violations: RegExp }[] =
  [];

/** One pattern for all the open findings' violations, or undefined when there are none. */
export function openFindings(): RegExp | undefined {
  if (OPEN_FINDINGS.length === 0) return undefined;
  return new RegExp(OPEN_FINDINGS.map((f) => f.violations.source).join('|'));
}

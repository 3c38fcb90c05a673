// Helpers of the subprocess tests: what the process table says.
import { execFileSync } from 'node:child_process';

/** The live (not zombie) processes of a process group, as `pid stat command` lines. */
export function liveInGroup(pgid: number): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,comm='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith('Z'),
    )
    .map((fields) => fields.join(' '));
}

/** Whether a process runs (a zombie awaiting its reaper does not). */
export function isLive(pid: number): boolean {
  const table = execFileSync('ps', ['-eo', 'pid=,stat='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .some(([p, stat]) => Number(p) === pid && stat !== undefined && !stat.startsWith('Z'));
}

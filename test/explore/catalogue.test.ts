// A slice of explore()'s bar on the catalogue (test/explore/catalogue.ts), sized
// for npm test: each bug is found with default options under a few seeds,
// within 10 runs in the median, its failure replays from the token, and its
// fixed twin passes 200 runs. `npm run explore:catalogue` measures the whole
// bar (100 seeds per bug, 2,000 runs per fixed twin).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explore, replaySchedule, ScheduleFailure } from 'corio/testing';
import { catalogue } from './catalogue.js';

const SEEDS = [1, 2, 3, 4, 5];

describe('explore() finds every bug of the catalogue, and no fixed twin fails', () => {
  for (const program of catalogue) {
    test(program.name, async () => {
      const runs: number[] = [];
      for (const seed of SEEDS) {
        const error = await explore(program.bug, { seed }).then(
          () => assert.fail(`seed ${seed}: not found in 200 runs`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ScheduleFailure, String(error));
        runs.push(error.run);
        await assert.rejects(replaySchedule(error.token, program.bug), (again: unknown) => {
          assert.ok(again instanceof ScheduleFailure, String(again));
          assert.equal(again.kind, error.kind);
          assert.deepEqual(
            again.schedule.map((s) => s.ran),
            error.schedule.map((s) => s.ran),
          );
          return true;
        });
      }
      runs.sort((a, b) => a - b);
      assert.ok((runs[2] as number) <= 10, `median ${runs[2]} runs (${runs.join(', ')})`);
      let fixedRuns = 0;
      await explore(program.fixed, {
        seed: 1,
        onReport: (report) => {
          fixedRuns = report.runs;
        },
      });
      assert.equal(fixedRuns, 200);
    });
  }
});

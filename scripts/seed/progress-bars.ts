import cliProgress from 'cli-progress';
import type { SeedPhase, SeedProgress } from './index.js';

/**
 * One cli-progress bar per seed phase, on stderr so that stdout carries only the summary.
 * A bar starts at a phase's first report and is finished when the next phase starts.
 */
export function createProgressBars(): { onProgress: (progress: SeedProgress) => void; stop: () => void } {
  let current: { phase: SeedPhase; bar: cliProgress.SingleBar } | undefined;
  const stop = () => {
    current?.bar.stop();
    current = undefined;
  };
  return {
    onProgress({ phase, done, total }) {
      if (current?.phase !== phase) {
        stop();
        const bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${phase.padEnd(13)} {bar} {percentage}% | {value}/{total} rows | {duration_formatted}`,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
        current = { phase, bar };
      } else {
        current.bar.update(done);
      }
    },
    stop,
  };
}

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Which core each process of the bench runs on, with util-linux's `taskset`: the gateway under
 * test (ours or a peer) on a core of its own, everything else the bench starts (subgraphs, and
 * the bench process itself, i.e. the load generator) on the other. The gateway's throughput then
 * cannot be taken by the load generator or the subgraphs, and its CPU use (bench/support/
 * process-cpu.ts) says whether it was the bottleneck: a gateway using about 1.0 core was
 * saturated, one far below waited for the rest.
 *
 * PostgreSQL and Redis are the machine's services, shared with other users: the bench does not
 * re-pin them, so they run on either core.
 */
export interface CpuPinning {
  /** False when pinning is off (asked, or `taskset` missing, or fewer than 2 cores). */
  readonly enabled: boolean;
  /** What the report says about it. */
  readonly description: string;
  /** The core list (`taskset -c`) of the gateways under test, and of everything else the bench starts. */
  readonly gatewayCpus: string | null;
  readonly restCpus: string | null;
}

export const GATEWAY_CPUS = '1';
export const REST_CPUS = '0';

function tasksetWorks(): boolean {
  const probe = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
  return probe.status === 0;
}

/**
 * Decides the pinning (`wanted` false: --no-pin) and pins this process, all its threads, to the
 * rest cores; the processes it spawns inherit that unless started through `pinnedCommand`.
 */
export function setUpPinning(wanted: boolean): CpuPinning {
  const off = (why: string): CpuPinning => ({
    enabled: false,
    description: `unpinned: ${why}`,
    gatewayCpus: null,
    restCpus: null,
  });
  if (!wanted) return off('--no-pin');
  if (availableParallelism() < 2) return off('fewer than 2 cores');
  if (!tasksetWorks()) return off('taskset (util-linux) not found or not permitted');
  const self = spawnSync('taskset', ['-a', '-p', '-c', REST_CPUS, String(process.pid)], { encoding: 'utf8' });
  if (self.status !== 0) return off(`taskset -p on the bench process failed: ${self.stderr.trim()}`);
  return {
    enabled: true,
    description: `pinned with taskset: gateways under test on core ${GATEWAY_CPUS}; load generator and subgraphs on core ${REST_CPUS}; PostgreSQL and Redis (the machine's services) not re-pinned`,
    gatewayCpus: GATEWAY_CPUS,
    restCpus: REST_CPUS,
  };
}

/**
 * `command args` run on `cpus` through `taskset -c` (which execs the command: the process id
 * stays the command's, so /proc CPU time is read from the right process); unchanged without cpus.
 */
export function pinnedCommand(cpus: string | null | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, [...args]];
}

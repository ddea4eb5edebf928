import { ChaosError } from './chaos.errors';

/**
 * Deliberately broken runs, to show the suite catches what it claims to:
 * - `volatile-redis`: Redis without AOF (REDIS_ALLOW_VOLATILE=true lets the app accept it), and
 *   every Redis restart happens while the worker is down, so the queued audit batches are forgotten
 *   (a producer-side journal may still resend them: then nothing is lost, and the run says so);
 * - `drop-audit-rows`: deletes a few 'Success' rows of the run before reconciling: must fail.
 */
export const BREAK_MODES = ['volatile-redis', 'drop-audit-rows'] as const;
export type BreakMode = (typeof BREAK_MODES)[number];

/** One fault: the worker SIGKILLed, Redis or PostgreSQL stopped; each comes back after `downtimeMs`. */
export interface FaultStep {
  kind: 'worker-kill' | 'redis-restart' | 'postgres-restart';
  /** redis-restart only: kill the worker first and start it after Redis is back (jobs pile up in Redis meanwhile). */
  workerDown?: boolean;
}

export interface ChaosOptions {
  short: boolean;
  /** Mutations to send at least; the load goes on until every fault has run too. */
  mutations: number;
  /** Requests in flight. */
  concurrency: number;
  /** Mutations per second at most; null: as fast as the API answers. */
  ratePerSecond: number | null;
  faults: FaultStep[];
  /** How long a killed or stopped process stays down. */
  downtimeMs: number;
  /** Load between two faults (and after the last one) at the least. */
  faultGapMs: number;
  /** Upper bound of the wait for the audit trail to settle. */
  settleMaxMs: number;
  /** The trail has settled when nothing changed for this long (and the audit queue is empty). */
  settleStableMs: number;
  break: BreakMode | null;
  /** Keep the run directory (logs) instead of removing it. */
  keep: boolean;
}

const SHORT: Omit<ChaosOptions, 'break' | 'keep'> = {
  short: true,
  mutations: 300,
  concurrency: 16,
  // A few hundred mutations over the faults' half minute, and CPU left for the tests beside it.
  ratePerSecond: 25,
  // One of each kind; Redis restarts with the worker down, the harshest case for queued batches.
  faults: [{ kind: 'worker-kill' }, { kind: 'redis-restart', workerDown: true }, { kind: 'postgres-restart' }],
  downtimeMs: 2_000,
  faultGapMs: 2_500,
  settleMaxMs: 75_000,
  settleStableMs: 8_000,
};

const FULL: Omit<ChaosOptions, 'break' | 'keep'> = {
  short: false,
  mutations: 2_000,
  concurrency: 24,
  ratePerSecond: null,
  faults: [
    { kind: 'worker-kill' },
    { kind: 'redis-restart' },
    { kind: 'postgres-restart' },
    { kind: 'worker-kill' },
    { kind: 'redis-restart', workerDown: true },
    { kind: 'postgres-restart' },
    { kind: 'worker-kill' },
  ],
  downtimeMs: 3_000,
  faultGapMs: 4_000,
  settleMaxMs: 120_000,
  settleStableMs: 15_000,
};

const USAGE = `Usage: pnpm chaos [--short] [--mutations N] [--concurrency N] [--rate N|max] [--no-faults] [--break ${BREAK_MODES.join('|')}] [--keep]
  (env: CHAOS_SHORT=true, CHAOS_BREAK=<mode>)`;

/** Reads the command line (and CHAOS_SHORT / CHAOS_BREAK); throws CHAOS_INVALID_OPTION with the usage on anything unknown. */
export function parseChaosOptions(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const args = [...argv];
  const flag = (name: string) => {
    const index = args.indexOf(name);
    if (index === -1) return false;
    args.splice(index, 1);
    return true;
  };
  const value = (name: string): string | undefined => {
    const index = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (index === -1) return undefined;
    const [arg] = args.splice(index, 1);
    if (arg!.includes('=')) return arg!.slice(name.length + 1);
    const [next] = args.splice(index, 1);
    if (next === undefined) throw invalid(`${name} needs a value`);
    return next;
  };
  const count = (name: string, raw: string | undefined, min: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw invalid(`${name} must be an integer of at least ${min}, got "${raw}"`);
    return n;
  };

  const short = flag('--short') || /^(1|true|yes)$/i.test(env.CHAOS_SHORT ?? '');
  const keep = flag('--keep');
  // Load and reconciliation only: a quick check of the reconciliation itself (with --break drop-audit-rows).
  const noFaults = flag('--no-faults');
  const mutations = count('--mutations', value('--mutations'), 20);
  const concurrency = count('--concurrency', value('--concurrency'), 1);
  const rate = value('--rate');
  const breakMode = value('--break') ?? (env.CHAOS_BREAK || undefined);
  if (args.length) throw invalid(`unknown argument ${args.join(' ')}`);
  if (breakMode !== undefined && !(BREAK_MODES as readonly string[]).includes(breakMode))
    throw invalid(`--break must be one of ${BREAK_MODES.join(', ')}, got "${breakMode}"`);
  const base = short ? SHORT : FULL;
  return {
    ...base,
    mutations: mutations ?? base.mutations,
    concurrency: concurrency ?? base.concurrency,
    faults: noFaults ? [] : base.faults,
    ratePerSecond: rate === undefined ? base.ratePerSecond : rate === 'max' ? null : count('--rate', rate, 1)!,
    break: (breakMode as BreakMode | undefined) ?? null,
    keep,
  };
}

function invalid(problem: string): ChaosError {
  return new ChaosError('CHAOS_INVALID_OPTION', `${problem}\n${USAGE}`);
}

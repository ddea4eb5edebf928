/**
 * A small, honest micro-benchmark harness for a shared, noisy 2-core machine: ours and the
 * baseline run in alternating rounds inside one process, so drift (CPU frequency, a
 * neighbour's load, GC) hits both alike; the reported figure is the median round.
 */
export interface Measured {
  /** Median nanoseconds per operation over the rounds. */
  nsPerOp: number;
  rounds: number[];
}

export type Operation = () => unknown;

async function timeRound(op: Operation, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = op();
    // Await any thenable: Drizzle's query builders run only when awaited and are not Promises.
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') await result;
  }
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** The middle value (the upper one of an even count). */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Measures `ours` and `baseline` in interleaved rounds after a warm-up. */
export async function compare(
  ours: Operation,
  baseline: Operation,
  { iterations = 50_000, rounds = 15, warmup = 3 } = {},
): Promise<{ ours: Measured; baseline: Measured }> {
  const oursRounds: number[] = [];
  const baselineRounds: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    // Alternate which goes first so neither always gets the warmer cache.
    const first = round % 2 === 0;
    const a = await timeRound(first ? ours : baseline, iterations);
    const b = await timeRound(first ? baseline : ours, iterations);
    if (round < warmup) continue;
    oursRounds.push(first ? a : b);
    baselineRounds.push(first ? b : a);
  }
  return {
    ours: { nsPerOp: median(oursRounds), rounds: oursRounds },
    baseline: { nsPerOp: median(baselineRounds), rounds: baselineRounds },
  };
}

/** Which way the ratio should go: `higher` for throughput (req/s), `lower` for cost (us/op). */
export type Better = 'higher' | 'lower';

/** Per-round figures of both sides, paired by round: the line then shows how far the rounds spread. */
export interface Rounds {
  ours: readonly number[];
  baseline: readonly number[];
}

/**
 * Prints the one line every benchmark ends with (parsed by tooling: keep the format):
 * `BENCH <name> ours=.. baseline=.. ratio=.. better=higher|lower [min=.. max=..] unit=..`,
 * where min and max are the lowest and highest ratio of one round's ours to the same round's
 * baseline.
 */
export function report(name: string, ours: number, baseline: number, unit: string, better: Better, rounds?: Rounds): void {
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toPrecision(3));
  const ratios = rounds ? rounds.ours.map((value, i) => value / rounds.baseline[i]!).filter(Number.isFinite) : [];
  const spread = ratios.length ? ` min=${Math.min(...ratios).toFixed(3)} max=${Math.max(...ratios).toFixed(3)}` : '';
  console.log(`BENCH ${name} ours=${fmt(ours)} baseline=${fmt(baseline)} ratio=${(ours / baseline).toFixed(3)} better=${better}${spread} unit=${unit}`);
}

/**
 * For operations of tens of microseconds and more (a request, a query): times each call of
 * ours and of the baseline, interleaved call by call so drift, GC and neighbours fall on both
 * alike, and reports the medians (p50) after a warm-up.
 */
export async function compareInterleaved(
  ours: Operation,
  baseline: Operation,
  { pairs = 10_000, warmup = 2_000 } = {},
): Promise<{ ours: Measured; baseline: Measured }> {
  const timings = { ours: [] as number[], baseline: [] as number[] };
  const timeOne = async (op: Operation) => {
    const start = process.hrtime.bigint();
    const result = op();
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') await result;
    return Number(process.hrtime.bigint() - start);
  };
  for (let i = 0; i < warmup + pairs; i++) {
    const oursFirst = i % 2 === 0;
    const first = await timeOne(oursFirst ? ours : baseline);
    const second = await timeOne(oursFirst ? baseline : ours);
    if (i < warmup) continue;
    timings.ours.push(oursFirst ? first : second);
    timings.baseline.push(oursFirst ? second : first);
  }
  return {
    ours: { nsPerOp: median(timings.ours), rounds: [] },
    baseline: { nsPerOp: median(timings.baseline), rounds: [] },
  };
}

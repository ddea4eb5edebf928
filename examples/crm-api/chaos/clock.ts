/**
 * Milliseconds since the run started. Mutations and fault events carry these stamps, so a lost
 * audit entry can be placed beside the faults that surrounded its request.
 */
export class RunClock {
  private readonly origin = Date.now();

  now(): number {
    return Date.now() - this.origin;
  }

  /** The wall-clock time of a run time (for the audit API's `from` filter). */
  wallTime(at: number): Date {
    return new Date(this.origin + at);
  }
}

/** `+12.3s`: how every run time is printed. */
export const at = (ms: number): string => `+${(ms / 1000).toFixed(1)}s`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

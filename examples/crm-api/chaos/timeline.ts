import { at, type RunClock } from './clock';
import type { FaultStep } from './chaos-options';

export type FaultKind = FaultStep['kind'];

/** A fault from its first action until everything it stopped is back. */
export interface FaultWindow {
  kind: FaultKind;
  label: string;
  startedAt: number;
  endedAt: number | null;
}

/** What happened to the servers and processes during the run, in run time. */
export class Timeline {
  readonly windows: FaultWindow[] = [];
  readonly notes: { at: number; text: string }[] = [];

  constructor(
    private readonly clock: RunClock,
    private readonly log: (line: string) => void,
  ) {}

  open(kind: FaultKind, label: string): FaultWindow {
    const window: FaultWindow = { kind, label, startedAt: this.clock.now(), endedAt: null };
    this.windows.push(window);
    return window;
  }

  close(window: FaultWindow): void {
    window.endedAt = this.clock.now();
  }

  /** A line of the run's log, stamped and kept for the report. */
  note(text: string): void {
    const now = this.clock.now();
    this.notes.push({ at: now, text });
    this.log(`${at(now)} ${text}`);
  }

  /** Whether [from, to] overlaps an outage of `kind`, extended by `graceMs` after it ended (pools reconnect). */
  overlaps(kind: FaultKind, from: number, to: number, graceMs: number): boolean {
    return this.windows.some((w) => w.kind === kind && from <= (w.endedAt ?? Infinity) + graceMs && to >= w.startedAt);
  }

  /** Where a request of [from, to] lies among the faults, for the report of a lost entry. */
  place(from: number, to: number): string {
    const during = this.windows.find((w) => from <= (w.endedAt ?? Infinity) && to >= w.startedAt);
    if (during) return `during ${during.label} (${((from - during.startedAt) / 1000).toFixed(1)}s after it began)`;
    const before = [...this.windows].reverse().find((w) => (w.endedAt ?? Infinity) < from);
    const after = this.windows.find((w) => w.startedAt > to);
    const parts = [
      before ? `${((from - before.endedAt!) / 1000).toFixed(1)}s after ${before.label} ended` : null,
      after ? `${((after.startedAt - to) / 1000).toFixed(1)}s before ${after.label}` : null,
    ].filter(Boolean);
    return parts.length ? parts.join(', ') : 'no fault ran';
  }

  /** The phase a request falls in (`during redis-restart#1`, `after postgres-restart#1`, `before the faults`): lost entries are counted per phase. */
  phase(from: number, to: number): string {
    const during = this.windows.find((w) => from <= (w.endedAt ?? Infinity) && to >= w.startedAt);
    if (during) return `during ${during.label}`;
    const before = [...this.windows].reverse().find((w) => (w.endedAt ?? Infinity) < from);
    return before ? `after ${before.label}` : 'before the faults';
  }
}

import type { AuditSink } from './audit-sink';
import type { AuditSinkDeliverySettings } from './audit-sink-pump';
import { AuditOptionsError } from '../resolve-audit-options';

/** `integrity.sinkDelivery` of `AuditModuleOptions`: how `AuditStreamService` delivers to the sinks. */
export interface AuditSinkDeliveryOptions {
  /**
   * How often the pump runs (a job scheduler on the audit queue in a consuming process, else a timer).
   * @default 5000
   */
  everyMs?: number;
  /**
   * Entries per batch (per `send`).
   * @default 500
   */
  batchSize?: number;
  /**
   * Attempts at a batch before it is stored in `<table>_sink_dead_letters` and the position moves on.
   * @default 8
   */
  maxAttempts?: number;
  /**
   * Wait before the first retry of a failed batch; each further retry waits twice as long.
   * @default 1000
   */
  retryAfterMs?: number;
  /**
   * The longest wait between two attempts.
   * @default 300000
   */
  maxRetryAfterMs?: number;
}

/** The sinks and their delivery settings once validated; undefined without sinks. */
export interface ResolvedAuditSinks extends AuditSinkDeliverySettings {
  sinks: AuditSink[];
}

export const AUDIT_SINK_DEFAULTS = Object.freeze({ everyMs: 5_000, batchSize: 500, maxAttempts: 8, retryAfterMs: 1_000, maxRetryAfterMs: 300_000 });

/** Validates `integrity.sinks` and `integrity.sinkDelivery` at bootstrap. */
export function resolveAuditSinks(sinks: unknown, delivery: unknown, chain: boolean): ResolvedAuditSinks | undefined {
  if (sinks === undefined && delivery === undefined) return undefined;
  if (!Array.isArray(sinks) || sinks.some((sink) => typeof (sink as AuditSink)?.send !== 'function' || typeof (sink as AuditSink)?.name !== 'string')) {
    throw new AuditOptionsError(
      'AuditModule option "integrity.sinks" must be a list of AuditSink ({ name, send(batch) }), e.g. new WebhookAuditSink({ url, secret }).',
    );
  }
  if (sinks.length === 0) return undefined;
  if (!chain) {
    throw new AuditOptionsError(
      'AuditModule option "integrity.sinks" follows each workspace\'s hash chain (entries in chain order, positions by chain_seq): set "integrity.chain: true" as well.',
      'AUDIT_SINKS_NEED_CHAIN',
    );
  }
  const names = new Set<string>();
  for (const { name } of sinks as AuditSink[]) {
    if (name.trim() === '' || name.length > 200 || [...name].some((c) => c.charCodeAt(0) < 0x20)) {
      throw new AuditOptionsError(
        `AuditModule option "integrity.sinks": a sink name must be a non-empty name of at most 200 characters, got ${JSON.stringify(name.slice(0, 210))}.`,
      );
    }
    if (names.has(name)) {
      throw new AuditOptionsError(
        `AuditModule option "integrity.sinks": two sinks are named ${JSON.stringify(name)}; give each its own "name" (positions are stored by name).`,
      );
    }
    names.add(name);
  }
  if (delivery !== undefined && (typeof delivery !== 'object' || delivery === null || Array.isArray(delivery))) {
    throw new AuditOptionsError('AuditModule option "integrity.sinkDelivery" must be { everyMs?, batchSize?, maxAttempts?, retryAfterMs?, maxRetryAfterMs? }.');
  }
  const given = (delivery ?? {}) as Record<string, unknown>;
  const setting = (key: keyof typeof AUDIT_SINK_DEFAULTS, min: number, max: number): number => {
    const value = given[key];
    if (value === undefined) return AUDIT_SINK_DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new AuditOptionsError(`AuditModule option "integrity.sinkDelivery.${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`);
    }
    return value;
  };
  return {
    sinks: [...(sinks as AuditSink[])],
    everyMs: setting('everyMs', 100, 86_400_000),
    batchSize: setting('batchSize', 1, 10_000),
    maxAttempts: setting('maxAttempts', 1, 1_000),
    retryAfterMs: setting('retryAfterMs', 0, 86_400_000),
    maxRetryAfterMs: setting('maxRetryAfterMs', 0, 86_400_000),
  };
}

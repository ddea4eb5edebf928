import type { FieldChange } from './audit-entry';

const REDACTED = '[REDACTED]';

/** The shared "no metadata" object callers pass to skip the walk. */
export const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Removes secrets before an entry leaves the process. A configured name matches that key at
 * any depth (case-insensitive); a dotted path matches that exact path.
 */
export class Redactor {
  private readonly names: Set<string>;
  private readonly paths: Set<string>;

  constructor(redact: readonly string[]) {
    this.names = new Set(redact.filter((p) => !p.includes('.')).map((p) => p.toLowerCase()));
    this.paths = new Set(redact.filter((p) => p.includes('.')));
  }

  private isSecret(key: string, path: string): boolean {
    return this.names.has(key.toLowerCase()) || this.paths.has(path);
  }

  /** A deep copy of `value` with secret fields replaced by '[REDACTED]'. */
  redact(value: unknown, path = ''): unknown {
    if (value === EMPTY) return {};
    if (Array.isArray(value)) return value.map((item) => this.redact(item, path));
    if (value instanceof Date) return value.toISOString();
    if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      copy[key] = this.isSecret(key, at) ? REDACTED : this.redact(field, at);
    }
    return copy;
  }

  /**
   * The fields that differ between `before` and `after` (top level), values redacted. A secret
   * field that changed is recorded as `{ redacted: true }`: that it changed, never its value.
   */
  diff(before: unknown, after: unknown): Record<string, FieldChange> {
    if (before === undefined && after === undefined) return {};
    const from = asRecord(before);
    const to = asRecord(after);
    const changes: Record<string, FieldChange> = {};
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      if (sameJson(from[key], to[key])) continue;
      changes[key] = this.isSecret(key, key) ? { redacted: true } : { from: this.redact(from[key] ?? null, key), to: this.redact(to[key] ?? null, key) };
    }
    return changes;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const normalize = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
  return JSON.stringify(normalize(a) ?? null) === JSON.stringify(normalize(b) ?? null);
}

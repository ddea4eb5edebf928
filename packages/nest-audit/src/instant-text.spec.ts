import { describe, expect, it } from 'vitest';
import { auditBatchJob } from './audit-batch';
import type { AuditEntry } from './audit-entry';
import { instantText } from './instant-text';

describe('instantText', () => {
  it('gives ISO 8601 text for years 1-9999, what PostgreSQL reads for a timestamptz', () => {
    expect(instantText(new Date('2026-12-05T08:00:00.123Z'))).toBe('2026-12-05T08:00:00.123Z');
    expect(instantText(new Date('0001-01-01T00:00:00.000Z'))).toBe('0001-01-01T00:00:00.000Z');
    expect(instantText(new Date('9999-12-31T23:59:59.999Z'))).toBe('9999-12-31T23:59:59.999Z');
  });

  it('leaves a Date that text cannot carry as it is (invalid, or outside years 1-9999)', () => {
    for (const date of [new Date(Number.NaN), new Date('+010000-01-01T00:00:00.000Z'), new Date('-000001-01-01T00:00:00.000Z')]) {
      expect(instantText(date)).toBe(date);
    }
  });

  it('makes a batch carry occurred_at as text, so its JSON is what the Date would have written', () => {
    const occurredAt = new Date('2026-12-05T08:00:00.123Z');
    const entry = { id: '0190a0b2-0000-7000-8000-000000000001', occurredAt, durationMs: 1, metadata: {}, changes: {} } as unknown as AuditEntry;
    const job = auditBatchJob([entry]);
    expect(job.columns[1]).toEqual(['2026-12-05T08:00:00.123Z']);
    expect(JSON.parse(JSON.stringify(job)).columns[1]).toEqual(JSON.parse(JSON.stringify({ at: [occurredAt] })).at);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT } from './audit.options';
import { Redactor } from './redactor';

describe('Redactor', () => {
  const redactor = new Redactor([...DEFAULT_REDACT, 'billing.card']);

  it('replaces secret fields at any depth and dotted paths, leaving the rest', () => {
    expect(
      redactor.redact({
        name: 'Ann',
        Password: 'hunter2',
        nested: { apiKey: 'k', list: [{ token: 't', keep: 1 }] },
        billing: { card: '4242', plan: 'Pro' },
        at: new Date('2026-01-01T00:00:00Z'),
      }),
    ).toEqual({
      name: 'Ann',
      Password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', list: [{ token: '[REDACTED]', keep: 1 }] },
      billing: { card: '[REDACTED]', plan: 'Pro' },
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('diff keeps only changed fields; a changed secret is recorded as changed, never with a value', () => {
    const changes = redactor.diff(
      { name: 'Old', stage: 'New', password: 'a', token: 'same', amount: 1, closedAt: null },
      { name: 'Old', stage: 'Won', password: 'b', token: 'same', amount: 2, closedAt: new Date('2026-02-01T00:00:00Z') },
    );
    expect(changes).toEqual({
      stage: { from: 'New', to: 'Won' },
      password: { redacted: true },
      amount: { from: 1, to: 2 },
      closedAt: { from: null, to: '2026-02-01T00:00:00.000Z' },
    });
    expect(JSON.stringify(changes)).not.toMatch(/"a"|"b"|same/);
  });

  it('diff of a creation (no before) and a deletion (no after)', () => {
    expect(redactor.diff(undefined, { name: 'New', secret: 's' })).toEqual({ name: { from: null, to: 'New' }, secret: { redacted: true } });
    expect(redactor.diff({ name: 'Gone' }, undefined)).toEqual({ name: { from: 'Gone', to: null } });
  });

  it('redacts secrets nested inside a changed field', () => {
    expect(redactor.diff({ settings: { theme: 'dark' } }, { settings: { theme: 'light', apiKey: 'k' } })).toEqual({
      settings: { from: { theme: 'dark' }, to: { theme: 'light', apiKey: '[REDACTED]' } },
    });
  });
});

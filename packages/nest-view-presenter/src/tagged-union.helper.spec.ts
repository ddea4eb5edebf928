import { z } from 'zod';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { lintViewContract } from './contract-lint';
import { lastActivity, lastActivitySchema, taggedUnion } from './tagged-union.helper';

describe('taggedUnion', () => {
  it('builds a discriminated union on kind from a map of Title Case variants', () => {
    const Channel = taggedUnion({ None: {}, 'Email Sent': { at: z.string(), label: z.string() } });
    expect(Channel.parse({ kind: 'None', extra: 1 })).toEqual({ kind: 'None' });
    expect(Channel.safeParse({ kind: 'Email Sent', at: 'x' }).success).toBe(false);
    expectTypeOf<z.output<typeof Channel>>().toEqualTypeOf<{ kind: 'None' } | { kind: 'Email Sent'; at: string; label: string }>();
    expect(lintViewContract(Channel)).toEqual([]);
  });

  it('takes another discriminator key', () => {
    const Result = taggedUnion({ Success: { id: z.string() }, Failure: { reason: z.string() } }, { key: 'status' });
    expect(Result.parse({ status: 'Failure', reason: 'Denied' })).toEqual({ status: 'Failure', reason: 'Denied' });
  });
});

describe('lastActivity', () => {
  const LastActivity = lastActivitySchema(['Email Sent', 'Call Logged']);

  it('builds the variant with an ISO time, or None when there is no activity', () => {
    expect(lastActivity('Email Sent', new Date(Date.UTC(2026, 1, 1)), 'Email to Ada')).toEqual({
      kind: 'Email Sent',
      at: '2026-02-01T00:00:00.000Z',
      label: 'Email to Ada',
    });
    expect(lastActivity(null, null, '')).toEqual({ kind: 'None' });
    expect(lastActivity('Call Logged', null, 'Call')).toEqual({ kind: 'None' });
  });

  it('values it builds match lastActivitySchema, which is a clean contract', () => {
    expect(LastActivity.parse(lastActivity('Call Logged', '2026-02-01 10:00:00+00', 'Call with Ada')).kind).toBe('Call Logged');
    expect(LastActivity.parse(lastActivity(undefined, undefined, ''))).toEqual({ kind: 'None' });
    expect(LastActivity.safeParse({ kind: 'Email Sent' }).success).toBe(false);
    expect(lintViewContract(LastActivity)).toEqual([]);
  });
});

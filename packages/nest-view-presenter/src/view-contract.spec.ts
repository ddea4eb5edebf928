import { Logger } from '@nestjs/common';
import { AcmeHttpException } from '@acme/nest-context';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ViewContractViolationError, type ViewContractViolation } from './contract-violation';
import { countSchema } from './count.helper';
import { isoSchema } from './iso.helper';
import { Page } from './page.schema';
import { taggedUnion } from './tagged-union.helper';
import { createViewContract } from './view-contract';
import { ViewPresenterOptionsError } from './view-presenter.errors';

const Item = z.object({
  id: z.string(),
  owner: z.object({ name: z.string() }),
  note_count: countSchema(),
  created_at: isoSchema(),
  activity: taggedUnion({ None: {}, 'Email Sent': { at: isoSchema() } }),
});
const List = Page(Item);
const item = (i: number) => ({
  id: `d${i}`,
  owner: { name: 'Ada' },
  note_count: i,
  created_at: '2026-01-01T00:00:00.000Z',
  activity: i % 2 ? { kind: 'Email Sent', at: '2026-01-02T00:00:00.000Z' } : { kind: 'None' },
});
const leaky = (i: number) => ({ ...item(i), secret: 'x', owner: { name: 'Ada', email: 'ada@x.io' }, activity: { ...item(i).activity, internal: 1 } });

// Violations are logged through Nest's Logger; keep the records, not the console noise.
let logged: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

describe.each([true, false])('createViewContract (compile: %s)', (compile) => {
  it('strips unknown fields at every level and fills defaults', () => {
    const contract = createViewContract(List, { compile });
    const { note_count: _, ...withoutCount } = item(2);
    const out = contract.enforce({ items: [leaky(1), withoutCount], total: 2, next_cursor: null, extra: true });
    expect(out).toEqual({ items: [item(1), { ...item(2), note_count: 0 }], total: 2, next_cursor: null });
  });

  it('strict: throws a 500 error carrying the violation, paths named, after logging it', () => {
    const seen: ViewContractViolation[] = [];
    const contract = createViewContract(List, { compile, name: 'deals list', onViolation: (v) => seen.push(v) });
    const bad = { items: [item(0), { ...item(1), note_count: '3' }, { ...item(2), activity: { kind: 'Call Logged' } }], total: 3, next_cursor: null };
    let error: unknown;
    try {
      contract.enforce(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ViewContractViolationError);
    // The suite's one HTTP error base: an app's filter tells @acme errors apart with one instanceof.
    expect(error).toBeInstanceOf(AcmeHttpException);
    expect((error as ViewContractViolationError).code).toBe('VIEW_CONTRACT_VIOLATION');
    expect((error as ViewContractViolationError).getStatus()).toBe(500);
    expect((error as ViewContractViolationError).getResponse()).toEqual({
      statusCode: 500,
      code: 'VIEW_CONTRACT_VIOLATION',
      message: 'The response did not match its view contract.',
    });
    expect((error as Error).message).toMatch(/^deals list: the response does not match its view contract: items\[1\]\.note_count: .*items\[2\]\.activity/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ contract: 'deals list', mode: 'strict', issueCount: 2 });
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ ...seen[0], message: (error as Error).message }));
    expect(seen[0]!.issues.map((issue) => issue.path)).toEqual(['items[1].note_count', 'items[2].activity.kind']);
  });

  it('log: reports and returns the value stripped of unknown fields', () => {
    const onViolation = vi.fn();
    const contract = createViewContract(Item, { compile, mode: 'log', onViolation });
    expect(contract.enforce({ ...leaky(1), note_count: -1 })).toEqual({ ...item(1), note_count: -1 });
    expect(onViolation).toHaveBeenCalledWith(expect.objectContaining({ mode: 'log', issues: [expect.objectContaining({ path: 'note_count' })] }));
  });

  it('off: returns the very value, unchecked and unstripped', () => {
    const value = leaky(1);
    expect(createViewContract(Item, { compile, mode: 'off' }).enforce(value)).toBe(value);
  });

  it('unsampled: strips and fills defaults without checking values', () => {
    const onViolation = vi.fn();
    const contract = createViewContract(Item, { compile, sampleRate: 0, onViolation });
    expect(contract.enforce({ ...leaky(1), created_at: 'not a date' })).toEqual({ ...item(1), created_at: 'not a date' });
    expect(onViolation).not.toHaveBeenCalled();
  });

  it('unsampled: a value whose shape is wrong is validated and reported like a sampled one', () => {
    const onViolation = vi.fn();
    const contract = createViewContract(Item, { compile, sampleRate: 0, onViolation });
    expect(() => contract.enforce({ ...item(1), activity: { kind: 'Unknown' } })).toThrow(ViewContractViolationError);
    expect(() => contract.enforce('not an object')).toThrow(ViewContractViolationError);
    expect(onViolation).toHaveBeenCalledTimes(2);
  });

  it('samples about sampleRate of the responses', () => {
    const onViolation = vi.fn();
    const contract = createViewContract(Item, { compile, mode: 'log', sampleRate: 0.25, onViolation });
    const random = vi.spyOn(Math, 'random');
    for (let i = 0; i < 8; i++) {
      random.mockReturnValueOnce(i / 8);
      contract.enforce({ ...item(1), created_at: 'not a date' });
    }
    expect(onViolation).toHaveBeenCalledTimes(2);
  });

  it('keeps a bounded record of a list full of bad rows', () => {
    const onViolation = vi.fn();
    const contract = createViewContract(List, { compile, mode: 'log', onViolation });
    contract.enforce({ items: Array.from({ length: 100 }, (_, i) => ({ ...item(i), note_count: -1 })), total: 100, next_cursor: null });
    const violation = onViolation.mock.calls[0]![0] as ViewContractViolation;
    expect(violation.issueCount).toBe(100);
    expect(violation.issues).toHaveLength(20);
  });
});

describe('createViewContract options', () => {
  it('rejects bad options, naming them', () => {
    expect(() => createViewContract(Item, { mode: 'loud' as never })).toThrow(ViewPresenterOptionsError);
    expect(() => createViewContract(Item, { sampleRate: 2 })).toThrow(/"sampleRate" must be a number from 0 to 1/);
    expect(() => createViewContract(Item, { onViolation: 'log' as never })).toThrow(/"onViolation"/);
  });

  it('defaults to strict with every response validated', () => {
    const contract = createViewContract(Item);
    expect([contract.mode, contract.sampleRate]).toEqual(['strict', 1]);
  });
});

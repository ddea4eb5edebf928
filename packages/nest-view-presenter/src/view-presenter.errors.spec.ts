import { AcmeError } from '@acme/nest-context';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { assertViewContract } from './contract-lint';
import { count } from './count.helper';
import { iso } from './iso.helper';
import { filterPermittedFields } from './permitted-fields.helper';
import { createViewContract } from './view-contract';
import { ViewPresenterError } from './view-presenter.errors';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// One case per error class the package throws outside HTTP (the 500 is an AcmeHttpException).
const cases: [string, () => unknown, string][] = [
  ['iso() of a non-date', () => iso('yesterday'), 'VIEW_INVALID_VALUE'],
  ['count() of a negative number', () => count(-1), 'VIEW_INVALID_VALUE'],
  ['a bad option', () => createViewContract(z.string(), { sampleRate: 2 }), 'VIEW_INVALID_OPTIONS'],
  ['a hidden field that cannot be null', () => filterPermittedFields(z.object({ id: z.string() }), { id: 'a' }, []), 'VIEW_FIELD_NOT_REDACTABLE'],
  ['a schema that breaks the view rules', () => assertViewContract(z.object({ note: z.string().optional() })), 'VIEW_CONTRACT_LINT'],
];

describe('errors', () => {
  it.each(cases)('%s: a ViewPresenterError (an AcmeError) with a stable VIEW_ code', (_, fn, code) => {
    const error = thrownBy(fn);
    expect(error).toBeInstanceOf(ViewPresenterError);
    expect(error).toBeInstanceOf(AcmeError);
    expect(error).toMatchObject({ code, name: (error as object).constructor.name });
  });
});

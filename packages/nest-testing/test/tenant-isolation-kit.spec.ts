// A test kit that cannot fail proves nothing: run describeTenantIsolation against apps that leak
// (test/fixtures/leaky-apps.fixture.ts, a file the normal run does not pick up) through vitest's
// node API, and check that each leak fails the test that should catch it, with a message that
// names the route, and nothing else.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVitest, type CliOptions } from 'vitest/node';
import { describeTenantIsolation } from '@acme/nest-testing/vitest';
import { A1 } from './fixtures/leaky-notes-app';

const COVERS = 'covers every route that takes an id';
const REFUSES = 'answers 404 to another workspace on every id route';
const INDISTINGUISHABLE = 'cannot tell another workspace’s row from one that never existed';
const UNCHANGED = 'leaves the owner’s rows as they were';
const LISTS = 'never lists the owner’s ids to another workspace';
const ALL_PASSED = { [COVERS]: 'passed', [REFUSES]: 'passed', [INDISTINGUISHABLE]: 'passed', [UNCHANGED]: 'passed', [LISTS]: 'passed' };

/** Per suite of the fixture, per test: 'passed', 'skipped: <note>' or 'failed: <first error message>'. */
type Outcomes = Record<string, Record<string, string>>;

async function runLeakyApps(options: CliOptions = {}): Promise<Outcomes> {
  const vitest = await createVitest({
    ...options,
    config: false,
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/fixtures/leaky-apps.fixture.ts'],
    watch: false,
    reporters: [],
  });
  try {
    const { testModules, unhandledErrors } = await vitest.start();
    expect(unhandledErrors).toEqual([]);
    const outcomes: Outcomes = {};
    for (const module of testModules) {
      expect(module.errors(), module.moduleId).toEqual([]);
      for (const test of module.children.allTests()) {
        const suite = test.parent.type === 'suite' ? test.parent.name.replace(/^tenant isolation: /, '') : '';
        const result = test.result();
        (outcomes[suite] ??= {})[test.name] =
          result.state === 'failed' ? `failed: ${result.errors[0]?.message}` : result.state === 'skipped' ? `skipped: ${result.note}` : result.state;
      }
    }
    return outcomes;
  } finally {
    await vitest.close();
  }
}

const failed = (start: string) => expect.stringMatching(new RegExp(`^failed: ${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

describe('describeTenantIsolation against leaky apps', () => {
  let outcomes: Outcomes;
  beforeAll(async () => {
    outcomes = await runLeakyApps();
  }, 120_000);

  it('passes a sound app', () => {
    expect(outcomes['none']).toEqual(ALL_PASSED);
  });

  it('fails a read route that answers another workspace with its row', () => {
    expect(outcomes['read']).toEqual({
      ...ALL_PASSED,
      [REFUSES]: failed(`GET /notes/{id} with ${A1}: expected 200 to be 404`),
      [INDISTINGUISHABLE]: failed('GET /notes/{id}: a foreign id vs a missing one'),
    });
  });

  it('fails a list that contains the owner’s ids, as items[].id or nested in any envelope', () => {
    expect(outcomes['list']).toEqual({ ...ALL_PASSED, [LISTS]: failed(`/notes shows another workspace the owner's ids: ${A1} at items[0].id`) });
    expect(outcomes['list-nested']).toEqual({ ...ALL_PASSED, [LISTS]: failed(`/notes shows another workspace the owner's ids: ${A1} at data[0].note.id`) });
  });

  it('fails a write that changes another workspace’s row, whether it answers 200 or 404', () => {
    expect(outcomes['write']).toEqual({
      ...ALL_PASSED,
      [REFUSES]: failed(`PATCH /notes/{id} with ${A1}: expected 200 to be 404`),
      [INDISTINGUISHABLE]: failed('PATCH /notes/{id}: a foreign id vs a missing one'),
      [UNCHANGED]: failed(`note ${A1} changed after another workspace's requests`),
    });
    expect(outcomes['silent-write']).toEqual({ ...ALL_PASSED, [UNCHANGED]: failed(`note ${A1} changed after another workspace's requests`) });
  });

  it('fails a 404 that tells a foreign id from a missing one on any route, not only the first GET', () => {
    expect(outcomes['oracle']).toEqual({ ...ALL_PASSED, [INDISTINGUISHABLE]: failed('DELETE /notes/{id}: a foreign id vs a missing one') });
  });

  it('fails when an id route of the app has no case, whatever its parameter is called', () => {
    expect(outcomes['uncovered-route']).toEqual({
      ...ALL_PASSED,
      [COVERS]: failed('id routes of the app with no case in routes: POST /notes/{noteId}/archive'),
    });
  });

  it('fails, instead of passing, when idRoutes is not given', () => {
    expect(outcomes['no idRoutes']).toEqual({ ...ALL_PASSED, [COVERS]: failed('idRoutes is missing') });
  });

  it('fails when a resource has no GET route to compare its rows with', () => {
    expect(outcomes['no GET route']).toEqual({
      ...ALL_PASSED,
      [UNCHANGED]: failed('resources with no GET route in routes, so their rows cannot be compared: note'),
    });
  });

  it('keeps its order when the run shuffles tests and runs them concurrently', async () => {
    // Rows are read before the attacks and compared after: out of order, a silent write would pass.
    expect(await runLeakyApps({ sequence: { shuffle: true, concurrent: true, seed: 7 } })).toEqual(outcomes);
  });

  it('compares a foreign id with the missingId it is given', () => {
    expect(outcomes['missing id given']).toEqual({ ...ALL_PASSED, [INDISTINGUISHABLE]: failed('GET /notes/{id}: a foreign id vs a missing one') });
  });

  it('reports the list check as skipped, not passed, when no lists are given', () => {
    expect(outcomes['no lists']).toEqual({ ...ALL_PASSED, [LISTS]: 'skipped: no lists given' });
  });
});

describe('describeTenantIsolation options', () => {
  it('rejects a route without an id placeholder when the suite is defined', () => {
    expect(() =>
      describeTenantIsolation('bad', {
        setup: () => Promise.reject(new Error('never called')),
        routes: [{ method: 'GET', path: '/notes/{a}/{b}', resource: 'note' }],
      }),
    ).toThrow(expect.objectContaining({ code: 'TESTING_INVALID_OPTIONS', message: expect.stringContaining('GET /notes/{a}/{b} has no id placeholder') }));
  });
});

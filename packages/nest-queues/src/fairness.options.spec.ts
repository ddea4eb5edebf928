import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineQueue } from './queue-definition';
import { QueueDefinitionError } from './queues.errors';

const payload = z.object({ n: z.number() });

describe('defineQueue fairness', () => {
  it('is off by default and resolves caps and rates', () => {
    expect(defineQueue({ name: 'q', payload }).fairness).toBeNull();
    expect(defineQueue({ name: 'q', payload, fairness: { by: 'workspace' } }).fairness).toEqual({
      by: 'workspace',
      concurrency: 0,
      intervalMs: 0,
      rate: undefined,
    });
    expect(defineQueue({ name: 'q', payload, fairness: { by: 'workspace', concurrency: 2, rate: { max: 4, duration: 1000 } } }).fairness).toMatchObject({
      concurrency: 2,
      intervalMs: 250,
    });
  });

  it.each([
    [{ by: 'user' }, /"fairness" must be \{ by: 'workspace'/],
    [null, /"fairness" must be/],
    [{ by: 'workspace', concurrency: 0 }, /"fairness.concurrency"/],
    [{ by: 'workspace', concurrency: 1.5 }, /"fairness.concurrency"/],
    [{ by: 'workspace', rate: { max: 10 } }, /"fairness.rate"/],
    [{ by: 'workspace', rate: { max: 0, duration: 1000 } }, /"fairness.rate"/],
  ])('refuses fairness %j, naming the option', (fairness, message) => {
    expect(() => defineQueue({ name: 'q', payload, fairness: fairness as never })).toThrow(QueueDefinitionError);
    expect(() => defineQueue({ name: 'q', payload, fairness: fairness as never })).toThrow(message);
  });

  it('refuses a default priority on a fair queue', () => {
    expect(() => defineQueue({ name: 'q', payload, defaults: { priority: 5 }, fairness: { by: 'workspace' } })).toThrow(
      /"defaults.priority" cannot be used with "fairness"/,
    );
  });
});

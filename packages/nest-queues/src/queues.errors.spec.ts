import { AcmeError } from '@acme/nest-context';
import { describe, expect, it } from 'vitest';
import * as api from './index';
import { QueuesError } from './queues.errors';

describe('the errors of @acme/nest-queues', () => {
  const errorClasses = (Object.entries(api) as Array<[string, unknown]>).filter(
    (entry): entry is [string, new (...args: never[]) => Error] =>
      typeof entry[1] === 'function' && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
  );

  it('are all QueuesErrors, hence AcmeErrors, with a QUEUES_ code and their own name', () => {
    expect(errorClasses.map(([name]) => name).sort()).toEqual([
      'ClusterPrefixError',
      'FairQueuePriorityError',
      'FatalConnectionError',
      'ForeignJobError',
      'JobContextError',
      'QueueDefinitionError',
      'QueuePayloadError',
      'QueuesError',
      'QueuesOptionsError',
      'RedisUnreachableError',
      'WorkerStartupError',
    ]);
    for (const [name, ErrorClass] of errorClasses) {
      if (ErrorClass === (QueuesError as unknown)) continue;
      const args = name === 'QueuePayloadError' ? ['q', [{ message: 'Required', path: ['to'] }]] : ['q', 'job-1', 'reason'];
      const error = new (ErrorClass as new (...args: unknown[]) => QueuesError)(...args);
      expect(error, name).toBeInstanceOf(QueuesError);
      expect(error, name).toBeInstanceOf(AcmeError);
      expect(error.name).toBe(name);
      expect(error.code, name).toMatch(/^QUEUES_[A-Z_]+$/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Cron } from './cron.decorator';
import { deadLetterId, isCustomJobId, isFinalFailure } from './dead-letter';
import { OnQueueEvent } from './on-queue-event.decorator';
import { DEFAULT_JOB_OPTIONS, defineQueue } from './queue-definition';
import { QueueProcessor } from './queue-processor.decorator';
import { QueueDefinitionError } from './queues.errors';
import { parsePayload } from './standard-schema';

const payload = z.object({ to: z.email() });

describe('defineQueue', () => {
  it('merges job defaults over the package defaults and names the dead-letter queue', () => {
    const emails = defineQueue({ name: 'emails', payload, defaults: { attempts: 5 } });
    expect(emails.defaults).toEqual({ ...DEFAULT_JOB_OPTIONS, attempts: 5 });
    expect(emails.concurrency).toBe(1);
    expect(emails.deadLetterQueue).toBe('emails.dead-letter');
    expect(defineQueue({ name: 'a', payload, deadLetter: false }).deadLetterQueue).toBeNull();
    expect(defineQueue({ name: 'a', payload, deadLetter: { queue: 'graveyard' } }).deadLetterQueue).toBe('graveyard');
    expect(Object.isFrozen(emails)).toBe(true);
  });

  it.each([
    [{ name: 'bad:name', payload }, /"name"/],
    [{ name: '', payload }, /"name"/],
    [{ name: 'q', payload: { parse: () => 1 } }, /"payload"/],
    [{ name: 'q', payload, concurrency: 0 }, /"concurrency"/],
    [{ name: 'q', payload, limiter: { max: 10 } }, /"limiter"/],
    [{ name: 'q', payload, defaults: { attempts: 0 } }, /"defaults.attempts"/],
    [{ name: 'q', payload, deadLetter: { queue: 'q' } }, /"deadLetter.queue"/],
    [{ name: 'q', payload, deadLetter: 'yes' }, /"deadLetter"/],
  ])('rejects %j, naming the field', (options, field) => {
    expect(() => defineQueue(options as never)).toThrow(QueueDefinitionError);
    expect(() => defineQueue(options as never)).toThrow(field);
  });
});

describe('payload validation', () => {
  it('returns the schema output or throws QueuePayloadError with paths', async () => {
    const schema = z.object({ n: z.coerce.number(), tags: z.array(z.string()).default([]) });
    expect(parsePayload('q', schema, { n: '3' })).toEqual({ n: 3, tags: [] }); // synchronous for sync schemas
    const error = (() => {
      try {
        return parsePayload('q', schema, { n: 'x', tags: [1] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: 'QUEUES_INVALID_PAYLOAD', queue: 'q' });
    expect((error as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path)).toEqual([['n'], ['tags', 0]]);
    expect((error as Error).message).toMatch(/^Invalid payload for queue "q": n: .*; tags\.0: /);
  });

  it('accepts async schemas', async () => {
    const schema = z.string().refine(async (value) => value === 'ok');
    await expect(parsePayload('q', schema, 'ok')).resolves.toBe('ok');
    await expect(parsePayload('q', schema, 'ko')).rejects.toMatchObject({ code: 'QUEUES_INVALID_PAYLOAD' });
  });
});

describe('decorators validate their options when applied', () => {
  const queue = defineQueue({ name: 'q', payload });

  it.each([
    [{ name: 'x' }, /exactly one of "pattern" and "every"/],
    [{ name: 'x', pattern: '* * * * *', every: 1000 }, /exactly one/],
    [{ name: 'x', every: 1.5 }, /"every"/],
    [{ name: 'a:b', every: 1000 }, /"name"/],
    [{ name: 'x', pattern: '0 3 * * *', tz: 'Mars/Olympus' }, /"tz"/],
  ])('@Cron rejects %j', (options, message) => {
    expect(() => Cron(queue, { payload: { to: 'a@b.co' }, ...options } as never)).toThrow(message);
  });

  it('@Cron refuses the same name twice on one class', () => {
    expect(() => {
      @Cron(queue, { name: 'x', every: 1000, payload: { to: 'a@b.co' } })
      @Cron(queue, { name: 'x', every: 2000, payload: { to: 'a@b.co' } })
      class Twice {}
      return Twice;
    }).toThrow(/already declared/);
  });

  it('@OnQueueEvent refuses anything but a method', () => {
    const decorate = () => OnQueueEvent('failed')({}, 'handler', { value: 'not a function' });
    expect(decorate).toThrow(QueueDefinitionError);
    expect(decorate).toThrow(/decorates methods only/);
  });

  it('@QueueProcessor needs a defined queue and a positive concurrency', () => {
    expect(() => QueueProcessor({ name: 'q' } as never)).toThrow(QueueDefinitionError);
    expect(() => QueueProcessor(queue, { concurrency: -1 })).toThrow(/"concurrency"/);
  });
});

describe('dead-letter helpers', () => {
  const job = (fields: Record<string, unknown>) => ({ opts: { attempts: 3 }, attemptsMade: 1, timestamp: 1700000000000, ...fields }) as never;

  it('tells a final failure from one that will be retried', () => {
    expect(isFinalFailure(job({}), new Error('x'))).toBe(false);
    expect(isFinalFailure(job({ attemptsMade: 3 }), new Error('x'))).toBe(true);
    expect(isFinalFailure(job({ finishedOn: 1 }), new Error('x'))).toBe(true);
    const unrecoverable = Object.assign(new Error('x'), { name: 'UnrecoverableError' });
    expect(isFinalFailure(job({}), unrecoverable)).toBe(true);
    expect(isFinalFailure(job({ opts: {}, attemptsMade: 1 }), new Error('x'))).toBe(true);
  });

  it('builds stable dead-letter ids and recognises custom job ids', () => {
    expect(deadLetterId(job({ id: 'repeat:nightly:17' }))).toBe('repeat.nightly.17.1700000000000');
    expect(isCustomJobId('42')).toBe(false);
    expect(isCustomJobId('invoice-42')).toBe(true);
  });
});

import { withTimeout } from '@acme/nest-context';
import { RedisUnreachableError } from './queues.errors';

/**
 * How long closing a queue's Redis connections may take before they are dropped. A healthy Redis
 * answers QUIT in milliseconds; an unreachable one never does, and ioredis keeps retrying the
 * commands still pending for about 30 s (`maxRetriesPerRequest` 20) or forever (workers: null).
 */
export const CLOSE_TIMEOUT_MS = 2000;

/** Whether `promise` settled, either way, within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(
      promise.then(
        () => undefined,
        () => undefined,
      ),
      ms,
      () => new RedisUnreachableError(`Redis did not answer within ${ms} ms while closing.`),
    );
    return true;
  } catch {
    return false;
  }
}

/** What `closeQueue` closes: a BullMQ `Queue` or `Worker`. */
interface Closable {
  close(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Closes a BullMQ queue or worker; when Redis does not answer within `ms`, drops its connections
 * instead of waiting for it (what was pending fails, as it would have after ioredis' retries).
 */
export async function closeQueue(handle: Closable, ms = CLOSE_TIMEOUT_MS): Promise<void> {
  const closing = handle.close();
  if (await settlesWithin(closing, ms)) return;
  await settlesWithin(handle.disconnect(), ms);
  await settlesWithin(closing, ms);
}

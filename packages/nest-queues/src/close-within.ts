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
  getBackend(): unknown;
}

/** An ioredis `Redis` or `Cluster`, as far as dropping its connection goes. */
interface RedisClientLike {
  status?: string;
  isCluster?: boolean;
  disconnect(reconnect?: boolean): void;
  connect(): Promise<void>;
}

/**
 * Closes a BullMQ queue or worker; when Redis does not answer within `ms`, drops its connections
 * instead of waiting for it. What was pending then fails with "Connection is closed", as it would
 * have after ioredis' retries, and BullMQ's `close()` (also the one @nestjs/bullmq calls) resolves.
 */
export async function closeQueue(handle: Closable, ms = CLOSE_TIMEOUT_MS): Promise<void> {
  const closing = handle.close();
  if (await settlesWithin(closing, ms)) return;
  await dropConnections(handle, ms);
  await settlesWithin(closing, ms);
}

async function dropConnections(handle: Closable, ms: number): Promise<void> {
  // BullMQ's Redis escape hatch: the raw clients of the queue (and of a worker's blocking reads).
  const backend = handle.getBackend() as { client?: Promise<unknown>; blockingClient?: Promise<unknown> } | undefined;
  let dropped = false;
  for (const pending of [backend?.client, backend?.blockingClient]) {
    const client = pending ? await valueWithin(pending, ms) : undefined;
    if (!isRedisClient(client)) continue;
    // ioredis' disconnect() on a client waiting to reconnect (no socket) clears the retry timer but
    // never ends the client, so its queued commands (QUIT included) would wait forever. One
    // connection attempt right away ends it: refused, it fails them; accepted, it sends them.
    const socketless = client.status === 'reconnecting' && !client.isCluster;
    client.disconnect();
    if (socketless) client.connect().catch(() => undefined);
    dropped = true;
  }
  if (!dropped) await settlesWithin(handle.disconnect(), ms);
}

async function valueWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let value: T | undefined;
  await settlesWithin(
    promise.then((resolved) => {
      value = resolved;
    }),
    ms,
  );
  return value;
}

function isRedisClient(value: unknown): value is RedisClientLike {
  const client = value as Partial<RedisClientLike> | null | undefined;
  return typeof client?.disconnect === 'function' && typeof client.connect === 'function';
}

import { importOptional, withTimeout, type InvalidationBus, type InvalidationHandler, type InvalidationMessage } from '@acme/nest-context';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { CacheOptionsError } from '../cache.errors';
import { InvalidationBusUnavailableError } from './invalidation-bus.errors';
import type { InvalidationBusOptions } from './invalidation-bus.options';

/** The defaults, in one place (the options' JSDoc and the README state the same). */
export const INVALIDATION_BUS_DEFAULTS = Object.freeze({
  channel: 'acme:invalidation',
  heartbeatMs: 1_000,
  heartbeatTimeoutMs: 3_000,
  publishTimeoutMs: 1_000,
});

/** What travels on the channel: the publishing replica, the topic and the message. */
interface Envelope {
  o: string;
  t: string;
  m: InvalidationMessage;
}

/**
 * nest-context's `InvalidationBus` over Redis pub/sub: one publisher and one subscriber connection
 * per process, whatever the number of topics (they share one channel). Messages carry this
 * replica's `origin`, so it never applies its own twice. `healthy` is true while the subscriber is
 * subscribed and this replica's own heartbeat, published every `heartbeatMs`, keeps coming back
 * within `heartbeatTimeoutMs`: a closed connection is noticed at once, a silent partition within
 * `heartbeatTimeoutMs`. Every reconnection starts a new healthy period (`healthySince`), since
 * Redis pub/sub keeps nothing for a subscriber that was away.
 */
export class RedisInvalidationBus implements InvalidationBus, OnModuleInit, OnApplicationShutdown {
  /** This replica's id in every message it publishes. */
  readonly origin = randomUUID();
  private readonly logger = new Logger('InvalidationBus');
  private readonly channel: string;
  private readonly beatChannel: string;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly publishTimeoutMs: number;
  private readonly handlers = new Map<string, Set<InvalidationHandler>>();
  private clients?: Promise<{ publisher: Redis; subscriber: Redis }>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private subscribed = false;
  private lastBeat = 0;
  private since = 0;

  constructor(private readonly options: InvalidationBusOptions) {
    const { connection, channel = INVALIDATION_BUS_DEFAULTS.channel } = options ?? ({} as InvalidationBusOptions);
    if (typeof connection !== 'object' || connection === null) {
      throw new CacheOptionsError('InvalidationBus option "connection" is required: ioredis options ({ host, port } or { url }) or an ioredis instance.');
    }
    if (typeof channel !== 'string' || channel.length === 0 || /\s/.test(channel)) {
      throw new CacheOptionsError(`InvalidationBus option "channel" must be a non-empty string without spaces, got ${JSON.stringify(channel)}.`);
    }
    this.channel = channel;
    this.beatChannel = `${channel}:heartbeat:${this.origin}`;
    this.heartbeatMs = milliseconds('heartbeatMs', options.heartbeatMs, INVALIDATION_BUS_DEFAULTS.heartbeatMs);
    this.heartbeatTimeoutMs = milliseconds('heartbeatTimeoutMs', options.heartbeatTimeoutMs, INVALIDATION_BUS_DEFAULTS.heartbeatTimeoutMs);
    this.publishTimeoutMs = milliseconds('publishTimeoutMs', options.publishTimeoutMs, INVALIDATION_BUS_DEFAULTS.publishTimeoutMs);
    if (this.heartbeatTimeoutMs <= this.heartbeatMs) {
      throw new CacheOptionsError(
        `InvalidationBus option "heartbeatTimeoutMs" (${this.heartbeatTimeoutMs}) must be larger than "heartbeatMs" (${this.heartbeatMs}): a few heartbeats fit in it.`,
      );
    }
  }

  get healthy(): boolean {
    return this.subscribed && Date.now() - this.lastBeat < this.heartbeatTimeoutMs;
  }

  get healthySince(): number | null {
    return this.healthy ? this.since : null;
  }

  /** Opens the connections at bootstrap; does not wait for Redis (until it answers, the bus is not healthy). */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async publish(topic: string, message: InvalidationMessage): Promise<void> {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new CacheOptionsError(`InvalidationBus.publish needs a topic (a non-empty string), got ${JSON.stringify(topic)}.`);
    }
    const payload = JSON.stringify({ o: this.origin, t: topic, m: message } satisfies Envelope);
    const sent = this.connect().then(({ publisher }) => publisher.publish(this.channel, payload));
    await withTimeout(
      sent,
      this.publishTimeoutMs,
      () =>
        new InvalidationBusUnavailableError(
          `Redis did not take an invalidation of "${topic}" within ${this.publishTimeoutMs} ms (InvalidationBus option "publishTimeoutMs"): ` +
            'it is sent once Redis is back; until then other replicas serve their entries for at most their fallbackTtlMs.',
        ),
    );
  }

  subscribe(topic: string, handler: InvalidationHandler): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(topic) === set) this.handlers.delete(topic);
    };
  }

  /** Closes both connections (quit, else disconnect). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    clearInterval(this.timer);
    const pending = this.clients;
    this.clients = undefined;
    const clients = await pending?.catch(() => undefined);
    if (!clients) return;
    await Promise.all(
      [clients.subscriber, clients.publisher].map((client) =>
        withTimeout(client.quit(), this.publishTimeoutMs, () => new InvalidationBusUnavailableError('QUIT timed out')).catch(() => client.disconnect()),
      ),
    );
  }

  private connect(): Promise<{ publisher: Redis; subscriber: Redis }> {
    if (this.closed) return Promise.reject(new InvalidationBusUnavailableError('The invalidation bus is closed (the app is shutting down).'));
    this.clients ??= this.open();
    return this.clients;
  }

  private async open(): Promise<{ publisher: Redis; subscriber: Redis }> {
    const ioredis: any = await importOptional(() => import('ioredis'), 'ioredis');
    if (!ioredis) {
      throw new CacheOptionsError('InvalidationBus needs ioredis to open its connections: install it (pnpm add ioredis).');
    }
    // Commands wait while Redis is away and are sent when it is back (a late invalidation still
    // helps); resubscription is ours, so that each one starts a new healthy period.
    const settings: RedisOptions = { maxRetriesPerRequest: null, autoResubscribe: false };
    const connection = this.options.connection;
    const create = (): Redis => {
      if (isRedisInstance(connection)) return connection.duplicate(settings);
      const { url, ...rest } = connection as RedisOptions & { url?: string };
      const RedisClass = ioredis.Redis ?? ioredis.default;
      return url ? new RedisClass(url, { ...rest, ...settings }) : new RedisClass({ ...rest, ...settings });
    };
    const publisher = create();
    const subscriber = create();
    // Failures show as `healthy: false` and rejected publishes; this keeps ioredis from printing
    // "Unhandled error event" on each reconnect attempt.
    publisher.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => this.resubscribe(subscriber));
    subscriber.on('close', () => (this.subscribed = false));
    subscriber.on('message', (channel: string, payload: string) => this.receive(channel, payload));
    if (this.closed) {
      // Shut down while ioredis was loading: close what was just opened, start no heartbeat.
      publisher.disconnect();
      subscriber.disconnect();
      return { publisher, subscriber };
    }
    this.timer = setInterval(() => {
      if (publisher.status === 'ready') publisher.publish(this.beatChannel, '1').catch(() => undefined);
    }, this.heartbeatMs);
    this.timer.unref();
    return { publisher, subscriber };
  }

  private resubscribe(subscriber: Redis): void {
    subscriber.subscribe(this.channel, this.beatChannel).then(
      () => {
        // Whatever was published before this moment may have been missed: a new healthy period.
        const now = Date.now();
        this.since = now;
        this.lastBeat = now;
        this.subscribed = true;
      },
      (error: unknown) => this.logger.warn(`Could not subscribe to ${this.channel}: ${describe(error)}. Retrying on the next reconnection.`),
    );
  }

  private receive(channel: string, payload: string): void {
    if (channel === this.beatChannel) {
      const now = Date.now();
      // A heartbeat after a gap: the channel may have been silent for us meanwhile.
      if (now - this.lastBeat >= this.heartbeatTimeoutMs) this.since = now;
      this.lastBeat = now;
      return;
    }
    if (channel !== this.channel) return;
    const envelope = parseEnvelope(payload);
    if (!envelope) {
      this.logger.warn(`Ignored a message on ${this.channel} that no InvalidationBus wrote (not { o, t, m } JSON).`);
      return;
    }
    if (envelope.o === this.origin) return;
    for (const handler of this.handlers.get(envelope.t) ?? []) {
      try {
        handler(envelope.m);
      } catch (error) {
        this.logger.error(`An invalidation handler of "${envelope.t}" threw: ${describe(error)}`);
      }
    }
  }
}

function parseEnvelope(payload: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const envelope = value as Partial<Envelope> | null;
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  if (typeof envelope.o !== 'string' || typeof envelope.t !== 'string') return undefined;
  if (typeof envelope.m !== 'object' || envelope.m === null || Array.isArray(envelope.m)) return undefined;
  return envelope as Envelope;
}

function isRedisInstance(connection: object): connection is Redis {
  const candidate = connection as Record<string, unknown>;
  return ['connect', 'disconnect', 'duplicate'].every((name) => typeof candidate[name] === 'function');
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CacheOptionsError(`InvalidationBus option "${name}" must be a positive whole number of milliseconds, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

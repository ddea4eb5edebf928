import { ContextError } from './context.errors';

/**
 * The subset of an ioredis client the check needs (a BullMQ Queue's `await queue.client` is one;
 * in BullMQ 6, `await queue.getBackend().client`). For Redis Cluster, check each master.
 */
export interface RedisInfoClient {
  info(section: string): Promise<string>;
  config?(op: 'GET', name: string): Promise<unknown>;
}

/** What a Redis server does with acknowledged writes: read by {@link readRedisDurability}. */
export interface RedisDurability {
  /** `appendonly` (INFO persistence `aof_enabled`); null: could not be read. */
  aof: boolean | null;
  /** `appendfsync` (CONFIG GET); null where CONFIG is renamed or disabled (managed Redis). */
  appendfsync: 'always' | 'everysec' | 'no' | null;
  /** `maxmemory-policy` (INFO memory `maxmemory_policy`); null: could not be read. */
  maxmemoryPolicy: string | null;
  /** `aof === true && maxmemoryPolicy === 'noeviction'`: a restart or memory pressure drops nothing acknowledged. */
  durable: boolean;
  /** One sentence per problem, naming the setting and the fix; empty when `durable`. */
  problems: string[];
}

/** Options of {@link assertRedisDurability}. */
export interface AssertRedisDurabilityOptions {
  /** Who refuses to start, as the user knows it, e.g. `'QueuesModule'`. */
  component: string;
  /** The option that accepts a volatile Redis, named in the error, e.g. `'allowVolatileRedis'`. */
  optionName: string;
  /**
   * Return the (non-durable) reading instead of throwing: for tests and development.
   * @default false
   */
  allowVolatile?: boolean;
}

/**
 * Thrown at startup when a Redis could silently drop acknowledged data (AOF off, an evicting
 * `maxmemory-policy`, or settings that could not be read). The message names the component,
 * each setting, its fix, and the option that accepts such a Redis.
 */
export class RedisDurabilityError extends ContextError {
  readonly code = 'CONTEXT_REDIS_NOT_DURABLE';
  constructor(
    readonly component: string,
    readonly optionName: string,
    readonly durability: RedisDurability,
  ) {
    super(
      `${component} refuses to start: its Redis could lose acknowledged data without an error.\n` +
        durability.problems.map((problem) => `  - ${problem}\n`).join('') +
        `To accept a volatile Redis (tests, development), set ${component} option "${optionName}" to true.`,
    );
  }
}

const FSYNC_MODES = new Set(['always', 'everysec', 'no']);
const APPENDONLY_FIX =
  'run `redis-cli CONFIG SET appendonly yes` and put `appendonly yes` (with `appendfsync everysec` or `always`) in redis.conf so it survives a restart';
const EVICTION_FIX = 'run `redis-cli CONFIG SET maxmemory-policy noeviction` and put `maxmemory-policy noeviction` in redis.conf';

/**
 * Reads a Redis server's persistence and eviction settings through `INFO persistence` and
 * `INFO memory` (which managed services keep when they rename or disable CONFIG), then
 * `CONFIG GET appendfsync` where CONFIG answers. Never throws: what cannot be read is null and
 * counts as not durable (fail closed), with a problem saying why.
 */
export async function readRedisDurability(client: RedisInfoClient): Promise<RedisDurability> {
  const problems: string[] = [];
  const [persistence, memory] = await Promise.all([infoFields(client, 'persistence'), infoFields(client, 'memory')]);

  if ('error' in persistence && 'error' in memory) {
    problems.push(
      `INFO could not be read (${persistence.error}), so persistence and eviction cannot be checked: check that Redis is reachable, and allow INFO for this client (ACL +info).`,
    );
  } else if ('error' in persistence) {
    problems.push(`INFO persistence could not be read (${persistence.error}), so AOF cannot be checked: allow INFO for this client (ACL +info).`);
  } else if ('error' in memory) {
    problems.push(`INFO memory could not be read (${memory.error}), so the eviction policy cannot be checked: allow INFO for this client (ACL +info).`);
  }

  let aof: boolean | null = null;
  if ('fields' in persistence) {
    const value = persistence.fields.get('aof_enabled');
    aof = value === '1' ? true : value === '0' ? false : null;
    if (aof === false) problems.push(`appendonly is off (AOF disabled): a restart loses every write since the last RDB snapshot. Fix: ${APPENDONLY_FIX}.`);
    if (aof === null) problems.push('INFO persistence reports no aof_enabled, so AOF cannot be checked: use a Redis that reports it, with `appendonly yes`.');
  }

  let maxmemoryPolicy: string | null = null;
  if ('fields' in memory) {
    maxmemoryPolicy = memory.fields.get('maxmemory_policy') || null;
    if (maxmemoryPolicy === null) {
      problems.push(
        'INFO memory reports no maxmemory_policy, so the eviction policy cannot be checked: use a Redis that reports it, with `maxmemory-policy noeviction`.',
      );
    } else if (maxmemoryPolicy !== 'noeviction') {
      problems.push(`maxmemory-policy is ${maxmemoryPolicy}: under memory pressure Redis deletes keys, waiting jobs included. Fix: ${EVICTION_FIX}.`);
    }
  }

  const appendfsync = await readAppendfsync(client);
  return { aof, appendfsync, maxmemoryPolicy, durable: aof === true && maxmemoryPolicy === 'noeviction', problems };
}

/**
 * Reads the durability of a Redis (see {@link readRedisDurability}) and refuses a volatile one
 * with {@link RedisDurabilityError}, unless `allowVolatile`: then the reading is returned for the
 * caller to warn about (and expose as a metric).
 */
export async function assertRedisDurability(client: RedisInfoClient, options: AssertRedisDurabilityOptions): Promise<RedisDurability> {
  const durability = await readRedisDurability(client);
  if (!durability.durable && !options.allowVolatile) throw new RedisDurabilityError(options.component, options.optionName, durability);
  return durability;
}

type InfoFields = { fields: Map<string, string> } | { error: string };

async function infoFields(client: RedisInfoClient, section: string): Promise<InfoFields> {
  let text: unknown;
  try {
    text = await client.info(section);
  } catch (error) {
    return { error: errorText(error) };
  }
  if (typeof text !== 'string') return { error: `INFO ${section} answered ${typeof text}, not text` };
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { fields };
}

/** `appendfsync` through CONFIG GET; null where CONFIG is missing, renamed or refused. */
async function readAppendfsync(client: RedisInfoClient): Promise<RedisDurability['appendfsync']> {
  if (typeof client.config !== 'function') return null;
  let reply: unknown;
  try {
    reply = await client.config('GET', 'appendfsync');
  } catch {
    return null; // CONFIG renamed or disabled (common on managed Redis): not a problem by itself
  }
  // ioredis answers ['appendfsync', 'everysec']; node-redis { appendfsync: 'everysec' }.
  const value = Array.isArray(reply) ? reply[1] : reply && typeof reply === 'object' ? (reply as Record<string, unknown>).appendfsync : undefined;
  const mode = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
  return typeof mode === 'string' && FSYNC_MODES.has(mode) ? (mode as RedisDurability['appendfsync']) : null;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

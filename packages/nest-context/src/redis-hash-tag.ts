/**
 * The hash tag of a Redis key, as Redis Cluster reads it: the text between the first `{` and the
 * first `}` after it, when that text is not empty. Keys with the same tag land in the same slot,
 * which multi-key commands and Lua scripts (BullMQ's) need on a cluster. Undefined when the key
 * has no usable tag (no `{`, no `}` after it, or `{}`): Redis then hashes the whole key.
 *
 * @example redisHashTag('{crm}:emails:wait') // 'crm'
 * @example redisHashTag('{}{crm}') // undefined: the first pair is empty, so the whole key is hashed
 */
export function redisHashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * Whether a connection as BullMQ takes it (options, or a client instance) is a Redis Cluster
 * client: an ioredis `Cluster` says so with `isCluster: true`. Options objects are never one
 * (BullMQ opens a single-node client from them).
 */
export function isRedisClusterConnection(connection: unknown): boolean {
  return typeof connection === 'object' && connection !== null && (connection as { isCluster?: unknown }).isCluster === true;
}

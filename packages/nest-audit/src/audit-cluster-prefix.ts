import { isRedisClusterConnection, redisHashTag } from '@acme/nest-context';
import { AuditError } from './audit.errors';

/**
 * `AuditModule` option `queue.connection` is a Redis Cluster and `queue.prefix` has no hash tag:
 * BullMQ's scripts need every key of the queue in one slot, so each batch would fail with
 * CROSSSLOT (and be written directly, never through the queue).
 */
export class AuditClusterPrefixError extends AuditError {
  readonly code = 'AUDIT_CLUSTER_PREFIX';
  constructor(readonly prefix: string) {
    super(
      `AuditModule option "queue.prefix" is "${prefix}", which has no hash tag, but "queue.connection" is a Redis Cluster: ` +
        'BullMQ needs every key of the audit queue in one slot, so each batch would fail with CROSSSLOT. ' +
        `Put a tag in braces in the prefix, e.g. prefix: '{${suggestedTag(prefix)}}'.`,
    );
  }
}

/**
 * Refuses, at bootstrap, a queue prefix that would fail on a Redis Cluster (the rule of
 * nest-context's `redisHashTag`: a non-empty `{tag}`). Any prefix goes on a single Redis.
 */
export function assertAuditClusterPrefix(connection: unknown, prefix: string): void {
  if (isRedisClusterConnection(connection) && redisHashTag(prefix) === undefined) throw new AuditClusterPrefixError(prefix);
}

function suggestedTag(prefix: string): string {
  const name = prefix.replace(/[{}]/g, '');
  return name === '' || name === 'bull' ? 'audit' : name;
}

import { isRedisClusterConnection, redisHashTag } from '@acme/nest-context';
import { QueuesError } from './queues.errors';

/**
 * `QueuesModule` was given a Redis Cluster connection and a `prefix` without a hash tag. BullMQ's
 * scripts touch several keys of a queue at once, which a cluster only allows within one slot:
 * without a tag the keys of a queue spread over slots and every add fails with CROSSSLOT.
 */
export class ClusterPrefixError extends QueuesError {
  readonly code = 'QUEUES_CLUSTER_PREFIX';
  constructor(
    readonly component: string,
    readonly optionName: string,
    readonly prefix: string,
  ) {
    super(
      `${component} option "${optionName}" is "${prefix}", which has no hash tag, but the connection is a Redis Cluster: ` +
        'BullMQ needs every key of a queue in one slot, so each add would fail with CROSSSLOT. ' +
        `Put a tag in braces in the prefix, e.g. ${optionName.split('.').pop()}: '{${suggestedTag(prefix)}}' (keys of every queue with this prefix then share one slot).`,
    );
  }
}

/**
 * Refuses, at bootstrap, a prefix that would fail on a Redis Cluster: when `connection` is a
 * cluster client (an ioredis `Cluster`), the prefix must hold a non-empty hash tag (`{crm}`).
 * Any prefix goes on a single Redis.
 *
 * @throws ClusterPrefixError naming the option and the fix.
 */
export function assertClusterPrefix(connection: unknown, prefix: string, component = 'QueuesModule', optionName = 'prefix'): void {
  if (isRedisClusterConnection(connection) && redisHashTag(prefix) === undefined) {
    throw new ClusterPrefixError(component, optionName, prefix);
  }
}

function suggestedTag(prefix: string): string {
  const name = prefix.replace(/[{}]/g, '');
  return name === '' || name === 'bull' ? 'app' : name;
}

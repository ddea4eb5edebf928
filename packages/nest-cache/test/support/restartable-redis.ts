import { freePort, startRedis, type StartedService } from '@acme/nest-testing';

export interface RestartableRedis {
  url: string;
  /** Stops the server (SIGTERM: clients see their connections close). */
  stop(): Promise<void>;
  /** Starts it again on the same port: an outage, not a new server. */
  start(): Promise<void>;
}

/** A redis-server of the test file's own on a fixed port, which the test may stop and start again. */
export async function restartableRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  let server: StartedService | undefined;
  const start = async () => {
    server = await startRedis({ strategies: ['embedded'], persistence: 'none', args: ['--port', String(port)] });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop: async () => server?.stop() };
}

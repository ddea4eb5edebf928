import { createServer } from 'node:net';
import { PortUnavailableError } from './testing.errors';

/**
 * Asks the OS for a free TCP port on 127.0.0.1. Another process could take it before the
 * server binds it; on a test machine that window is short enough to accept.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() =>
        port > 0
          ? resolve(port)
          : reject(
              new PortUnavailableError(
                'The operating system gave no free TCP port on 127.0.0.1: check that loopback is up and the ephemeral port range is not exhausted.',
              ),
            ),
      );
    });
  });
}

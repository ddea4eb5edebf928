import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';

// Startup packet codes (PostgreSQL frontend/backend protocol 3.0).
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TRANSACTION_IDLE = 'I'.charCodeAt(0);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);

/** A listening proxy. */
export interface SessionProxy {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * TCP front door for a PGLiteSocketServer that makes each client connection start from a clean
 * session, like a real server does.
 *
 * PGlite is one backend: every socket connection continues the same session, so a previous
 * client's open transaction, `SET search_path` or named prepared statements would leak into the
 * next one, and the database name in the URL is ignored. After the handshake, before the client
 * sees ReadyForQuery, the proxy sends `ROLLBACK` (if a transaction was left open), `DISCARD ALL`
 * and `SET search_path TO "<database>", public`: the database name of the URL selects a schema,
 * which is how `createTestDatabase({ server: 'timescale' })` isolates test files here.
 */
export function startSessionProxy(upstreamPort: number, host = '127.0.0.1'): Promise<SessionProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    proxyConnection(client, upstreamPort, host, track);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function proxyConnection(client: Socket, upstreamPort: number, host: string, track: (socket: Socket) => void): void {
  let phase: 'startup' | 'handshake' | 'reset' | 'piping' = 'startup';
  let fromClient: Buffer = Buffer.alloc(0);
  let fromServer: Buffer = Buffer.alloc(0);
  let upstream: Socket | undefined;
  let resetQueries: string[] = [];
  const heldClientData: Buffer[] = [];

  client.on('error', () => upstream?.destroy());
  client.on('close', () => upstream?.destroy());

  client.on('data', (chunk: Buffer) => {
    if (phase === 'piping' || phase === 'handshake') {
      upstream?.write(chunk); // authentication replies during the handshake, queries afterwards
      return;
    }
    if (phase === 'reset') {
      heldClientData.push(chunk);
      return;
    }
    fromClient = Buffer.concat([fromClient, chunk]);
    while (fromClient.length >= 8) {
      const length = fromClient.readInt32BE(0);
      if (fromClient.length < length) return;
      const packet = fromClient.subarray(0, length);
      fromClient = fromClient.subarray(length);
      const code = packet.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        client.write('N'); // no encryption on loopback; the client continues in plain text
        continue;
      }
      if (code === CANCEL_REQUEST) {
        client.end(); // PGlite cannot cancel a running query
        return;
      }
      const database = startupDatabase(packet);
      resetQueries = ['DISCARD ALL', `SET search_path TO ${pg.escapeIdentifier(database)}, public`];
      phase = 'handshake';
      upstream = connect(upstreamPort, host);
      track(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      upstream.on('data', onServerData);
      upstream.write(packet);
      if (fromClient.length > 0) upstream.write(fromClient);
      return;
    }
  });

  function onServerData(chunk: Buffer): void {
    if (phase === 'piping') {
      client.write(chunk);
      return;
    }
    fromServer = Buffer.concat([fromServer, chunk]);
    while (fromServer.length >= 5) {
      const end = 1 + fromServer.readInt32BE(1);
      if (fromServer.length < end) return;
      const message = fromServer.subarray(0, end);
      fromServer = fromServer.subarray(end);
      const isReady = message[0] === READY_FOR_QUERY;
      if (phase === 'handshake') {
        if (!isReady) {
          client.write(message);
          continue;
        }
        // Hold the client's ReadyForQuery until the shared session is reset for it.
        if (message[5] !== TRANSACTION_IDLE) resetQueries.unshift('ROLLBACK');
        phase = 'reset';
        sendQuery(resetQueries.shift());
        continue;
      }
      // phase 'reset': swallow the replies to our own queries
      if (!isReady) continue;
      const next = resetQueries.shift();
      if (next !== undefined) {
        sendQuery(next);
        continue;
      }
      phase = 'piping';
      client.write(message);
      if (fromServer.length > 0) client.write(fromServer);
      for (const held of heldClientData.splice(0)) upstream?.write(held);
      return;
    }
  }

  function sendQuery(sql: string | undefined): void {
    if (sql === undefined || !upstream) return;
    const text = Buffer.from(`${sql}\0`, 'utf8');
    const header = Buffer.alloc(5);
    header.write('Q', 0, 'ascii');
    header.writeInt32BE(4 + text.length, 1);
    upstream.write(Buffer.concat([header, text]));
  }
}

/** The `database` parameter of a startup packet (PostgreSQL defaults it to `user`). */
function startupDatabase(packet: Buffer): string {
  const fields = packet.subarray(8).toString('utf8').split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    const value = fields[i + 1];
    if (key) params.set(key, value ?? '');
  }
  return params.get('database') || params.get('user') || 'postgres';
}

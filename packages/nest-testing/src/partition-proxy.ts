import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP proxy in front of a service (Redis, PostgreSQL) that a test can cut like a network partition: `cut()` keeps the
 * connections open and drops every byte (commands hang, their replies never come, what was sent
 * is lost); `restore()` resets those connections (the client reconnects) and forwards again.
 */
export class PartitionProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on a free local port and forwards to `target` (a URL with host and port, e.g. redis://127.0.0.1:6379); `url` is the same URL through the proxy. */
  static async start(target: string): Promise<PartitionProxy> {
    const { hostname, port } = new URL(target);
    const accept: { to?: PartitionProxy } = {};
    const server = createServer((client) => accept.to?.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    const through = new URL(target);
    through.hostname = '127.0.0.1';
    through.port = String(address.port);
    accept.to = new PartitionProxy(server, through.toString());
    return accept.to;
  }

  /** From now on every byte is dropped, both ways: commands hang, as behind a partition. */
  cut(): void {
    this.cutOff = true;
  }

  /** Resets the connections that were cut (clients reconnect) and forwards again. */
  restore(): void {
    this.cutOff = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const upstream = new Socket();
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    upstream.connect(port, host);
    client.on('data', (data) => this.cutOff || upstream.write(data));
    upstream.on('data', (data) => this.cutOff || client.write(data));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

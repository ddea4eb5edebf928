import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP proxy in front of Redis that the test can cut like a network partition: `cut()` keeps the
 * connections open and drops every byte (commands hang, their replies never come, what was sent
 * is lost); `restore()` resets those connections (the client reconnects) and forwards again.
 */
export class RedisProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<RedisProxy> {
    const { hostname, port } = new URL(target);
    const accept: { to?: RedisProxy } = {};
    const server = createServer((client) => accept.to?.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    accept.to = new RedisProxy(server, `redis://127.0.0.1:${address.port}`);
    return accept.to;
  }

  cut(): void {
    this.cutOff = true;
  }

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

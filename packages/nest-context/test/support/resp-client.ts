import { connect, type Socket } from 'node:net';

type Reply = string | number | null | Error | Reply[];

/**
 * A bare RESP2 client over a socket (nest-context has no Redis client dependency): enough for
 * `INFO` and `CONFIG GET`, with the method shapes of ioredis, so it is a `RedisInfoClient`.
 */
export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly pending: Array<{ resolve(reply: Reply): void; reject(error: Error): void }> = [];
  private readonly socket: Socket;
  private readonly ready: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.failAll(error));
    this.socket.on('close', () => this.failAll(new Error('connection closed')));
  }

  info(section: string): Promise<string> {
    return this.command('INFO', section) as Promise<string>;
  }

  config(op: 'GET', name: string): Promise<unknown> {
    return this.command('CONFIG', op, name);
  }

  async command(...args: string[]): Promise<Reply> {
    await this.ready;
    const frame = `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('');
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ resolve: (reply) => (reply instanceof Error ? reject(reply) : resolve(reply)), reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const parsed = parse(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      this.pending.shift()?.resolve(parsed.reply);
    }
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

/** Parses one reply at `offset`; undefined until the whole reply has arrived. */
function parse(buffer: Buffer, offset: number): { reply: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { reply: line, end: next };
    case '-':
      return { reply: new Error(line), end: next };
    case ':':
      return { reply: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, end: next };
      const items: Reply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end);
        if (!item) return undefined;
        items.push(item.reply);
        end = item.end;
      }
      return { reply: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply type "${type}"`);
  }
}

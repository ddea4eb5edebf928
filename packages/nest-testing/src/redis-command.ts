import { connect } from 'node:net';
import { ServerStartError } from './testing.errors';

const COMMAND_TIMEOUT_MS = 5_000;

/**
 * Sends one command to a Redis server and returns its reply as text (a simple string, a bulk
 * string or an integer). Enough to set up a cluster (CLUSTER ADDSLOTS, MEET, INFO) without a
 * Redis client: ioredis is not a dependency of this package, and redis-cli may be missing.
 *
 * @throws ServerStartError when the server answers with an error, closes, or stays silent.
 */
export function redisCommand(host: string, port: number, args: readonly (string | number)[]): Promise<string> {
  const request = `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${String(arg)}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let buffer = Buffer.alloc(0);
    const fail = (message: string) => {
      socket.destroy();
      reject(new ServerStartError('redisCluster', `${host}:${port} ${String(args[0])} ${String(args[1] ?? '')}: ${message}`));
    };
    socket.setTimeout(COMMAND_TIMEOUT_MS, () => fail(`no answer within ${COMMAND_TIMEOUT_MS / 1000} s`));
    socket.once('error', (error) => fail(error.message));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer);
      if (reply === undefined) return; // more to come
      socket.destroy();
      if ('error' in reply) fail(`answered ${reply.error}`);
      else resolve(reply.value);
    });
  });
}

function parseReply(buffer: Buffer): { value: string } | { error: string } | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[0]!);
  const line = buffer.subarray(1, lineEnd).toString('utf8');
  if (type === '+' || type === ':') return { value: line };
  if (type === '-') return { error: line };
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return { value: '' };
    if (buffer.length < lineEnd + 2 + length) return undefined;
    return { value: buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString('utf8') };
  }
  return { error: `an unexpected reply type "${type}"` };
}

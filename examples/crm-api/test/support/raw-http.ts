import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** The body parsed as JSON, or the text when it is not JSON. */
  body: unknown;
}

/**
 * Sends one HTTP/1.1 request byte for byte (Node's own client refuses control characters and
 * non-Latin-1 text in headers, which is exactly what these tests send) and reads the answer.
 * Header values are written as UTF-8.
 */
export async function rawRequest(server: Server, method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`no HTTP status line in the answer to ${method} ${target}: ${JSON.stringify(text.slice(0, 200))}`);
  const rest = text.slice(text.indexOf('\r\n\r\n') + 4);
  // Chunked answers (Express streams JSON that way only when it has no length): not expected here.
  try {
    return { status, body: rest ? JSON.parse(rest) : '' };
  } catch {
    return { status, body: rest };
  }
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEntry } from '../../src/audit-entry';
import { AUDIT_IDEMPOTENCY_HEADER } from '../../src/sinks/webhook-audit-sink';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  batch: { workspaceId: string; firstSeq: number; lastSeq: number; entries: AuditEntry[] };
}

/**
 * A webhook receiver on a real port. `answer` decides each request: a status, or 'hang' (no
 * answer: the sink's timeout). Only answered 2xx requests count as received.
 */
export async function receiver(answer: (request: number) => number | 'hang') {
  const received: Received[] = [];
  const attempts: string[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      attempts.push(String(request.headers[AUDIT_IDEMPOTENCY_HEADER]));
      const decision = answer(requests++);
      if (decision === 'hang') return; // closed when the server closes
      if (decision >= 200 && decision < 300) received.push({ headers: request.headers, body, batch: JSON.parse(body) });
      response.writeHead(decision).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/audit`,
    received,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@acme-examples/crm-contracts';

// Node's HTTP parser refuses these before any middleware runs: a control character (NUL
// included) in a header or in the request line.
const INVALID_CHARACTER_ERRORS = new Set(['HPE_INVALID_HEADER_TOKEN', 'HPE_INVALID_URL']);

// What Node answers when no 'clientError' listener is attached (lib/_http_server.js).
const NODE_DEFAULTS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * Answers a request Node's HTTP parser refused for an invalid character with the contract's
 * 400 INVALID_CHARACTERS body instead of Node's bare `400 Bad Request`; every other parse error
 * gets Node's own answer. The connection is closed either way (the parser cannot go on).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // As Node does: nothing is written over a response already under way on this connection.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    if (error.code !== undefined && INVALID_CHARACTER_ERRORS.has(error.code)) {
      const body: ErrorBody = {
        statusCode: 400,
        code: 'INVALID_CHARACTERS',
        message: 'The request line or a header contains a control character (such as NUL): remove it.',
        issues: [],
        request_id: null,
      };
      const json = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
      return;
    }
    socket.end(`HTTP/1.1 ${NODE_DEFAULTS[error.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
  });
}

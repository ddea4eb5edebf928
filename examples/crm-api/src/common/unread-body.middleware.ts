import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error';

/**
 * Runs after the body parsers: a request body none of them read (text/plain, XML, multipart, no
 * content type) is 415 UNSUPPORTED_MEDIA_TYPE. Without it the route would see no body at all and
 * answer a misleading "(body): expected object, received undefined".
 */
export function rejectUnreadBodies(accepted: string[]) {
  return (request: IncomingMessage, _response: unknown, next: (error?: unknown) => void): void => {
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    // A parser that read the body consumed the stream to its end.
    if (!hasBody || request.readableEnded) return next();
    const type = request.headers['content-type'];
    const got = type ? `, not ${JSON.stringify(type.slice(0, 100))}` : ' and say so in the content-type header';
    next(new ApiError('UNSUPPORTED_MEDIA_TYPE', `Send the request body as ${accepted.join(' or ')}${got}.`));
  };
}

import type { IncomingMessage } from 'node:http';
import { ApiError, type ApiIssue } from './api-error';

const NUL = '\u0000';
/** How deep a body is searched; deeper values are refused by the routes' strict schemas anyway. */
const MAX_DEPTH = 32;

interface ParsedRequest extends IncomingMessage {
  /** Express: the path without the query string, still percent-encoded. */
  path?: string;
  query?: unknown;
  body?: unknown;
}

/**
 * Runs after the body parsers, before routing: a NUL character in the path (an id, `%00`), the
 * query string, the body (values or keys, at any depth) or a header is 400 INVALID_CHARACTERS
 * before any guard, handler or query sees it. PostgreSQL cannot store NUL in text and would
 * refuse the statement; refusing here covers every route, those added later included.
 * (Node's HTTP parser already refuses a raw NUL in the request line or a header: see
 * `answerClientErrors`.)
 */
export function rejectInvalidCharacters() {
  return (request: ParsedRequest, _response: unknown, next: (error?: unknown) => void): void => {
    const where = findNul(request);
    if (!where) return next();
    const issues: ApiIssue[] = [{ path: where, message: 'Contains the NUL character (U+0000)' }];
    next(new ApiError('INVALID_CHARACTERS', `The ${where} contains the NUL character (U+0000), which no value may contain: remove it.`, issues));
  };
}

/** Where the first NUL is ('path', 'query.q', 'body.name', 'header x-request-id'), or undefined. */
function findNul(request: ParsedRequest): string | undefined {
  const path = request.path ?? request.url?.split('?')[0] ?? '';
  if (decodesToNul(path)) return 'path';
  const query = request.query ?? {};
  const inQuery = search(query, 0);
  // The query parser's own reading, and the raw text for what it may leave encoded.
  if (inQuery !== undefined) return inQuery ? `query.${inQuery}` : 'query';
  if (decodesToNul(request.url?.split('?').slice(1).join('?') ?? '')) return 'query';
  const inBody = search(request.body, 0);
  if (inBody !== undefined) return inBody ? `body.${inBody}` : 'body';
  for (const [name, value] of Object.entries(request.headers)) {
    if ((Array.isArray(value) ? value : [value]).some((v) => v?.includes(NUL))) return `header ${name}`;
  }
  return undefined;
}

/**
 * The dotted path of the first string (value or key) holding NUL in `value`: '' for `value`
 * itself, undefined when there is none.
 */
function search(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? '' : undefined;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes(NUL)) return key.replaceAll(NUL, '\\u0000');
    const found = search(inner, depth + 1);
    if (found !== undefined) return found ? `${key}.${found}` : key;
  }
  return undefined;
}

/** Whether the percent-encoded text holds a NUL once decoded (also when the rest of it does not decode). */
function decodesToNul(encoded: string): boolean {
  if (encoded.includes(NUL)) return true;
  if (!/%00/i.test(encoded)) return false;
  try {
    return decodeURIComponent(encoded).includes(NUL);
  } catch {
    // Malformed elsewhere: a literal %00 still means NUL to any lenient decoder.
    return true;
  }
}

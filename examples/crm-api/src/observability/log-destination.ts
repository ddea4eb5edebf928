import { pino } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';
import type { Params } from 'nestjs-pino';

/** nestjs-pino's `pinoHttp`: to stdout, or to `file` (LOG_FILE) when one is set. */
export function pinoHttpTo(file: string, options: HttpLoggerOptions): Params['pinoHttp'] {
  return file ? [options, pino.destination({ dest: file, mkdir: true, sync: true })] : options;
}

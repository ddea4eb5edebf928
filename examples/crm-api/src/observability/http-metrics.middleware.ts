import { Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const HTTP_DURATION = 'http_request_duration_seconds';

interface Req {
  method: string;
  baseUrl?: string;
  route?: { path?: string };
}
interface Res {
  statusCode: number;
  once(event: 'finish', listener: () => void): void;
}

/** Observes every request's duration by method, route pattern (not raw URL: bounded labels) and status. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware<Req, Res> {
  constructor(@InjectMetric(HTTP_DURATION) private readonly histogram: Histogram<'method' | 'route' | 'status'>) {}

  use(request: Req, response: Res, next: () => void): void {
    const end = this.histogram.startTimer();
    response.once('finish', () => {
      const route = request.route?.path ? `${request.baseUrl ?? ''}${request.route.path}` : 'unmatched';
      end({ method: request.method, route, status: String(response.statusCode) });
    });
    next();
  }
}

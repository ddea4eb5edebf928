import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { makeHistogramProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import type { Options as HttpLoggerOptions } from 'pino-http';
import type { Env } from '../config/env.schema';
import { HealthController } from './health.controller';
import { pinoHttpTo } from './log-destination';
import { logMixin } from './log-mixin';
import { HTTP_DURATION, HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';

const QUIET_ROUTES = new Set(['/health', '/metrics']);

/** Structured logs (request id, workspace, actor on every line; trace and span ids in a span), Prometheus metrics, health. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => {
        const options: HttpLoggerOptions = {
          level: config.get('LOG_LEVEL'),
          mixin: logMixin,
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          autoLogging: { ignore: (request) => QUIET_ROUTES.has(request.url?.split('?')[0] ?? '') },
        };
        return { pinoHttp: pinoHttpTo(config.get('LOG_FILE'), options) };
      },
    }),
    PrometheusModule.register({ controller: MetricsController, defaultMetrics: { enabled: true } }),
  ],
  controllers: [HealthController],
  providers: [
    makeHistogramProvider({
      name: HTTP_DURATION,
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    HttpMetricsMiddleware,
  ],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}

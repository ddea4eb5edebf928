import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { Public } from '../auth/public.decorator';
import { SkipApiRateLimits } from '../throttling/api-rate-limits';

/** `/metrics` for Prometheus: public like a health check (keep it off the internet with your ingress). */
@ApiExcludeController()
@SkipApiRateLimits()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @Public()
  override index(@Res({ passthrough: true }) response: Parameters<PrometheusController['index']>[0]) {
    return super.index(response);
  }
}

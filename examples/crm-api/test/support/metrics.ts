import { register } from 'prom-client';
import request from 'supertest';

type HttpServer = Parameters<typeof request>[0];

/**
 * The value of a Prometheus counter as GET /metrics shows it, summed over the series whose labels
 * include `labels` (all of them without). Zero when the counter has no such series yet.
 */
export async function metricValue(server: HttpServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await request(server).get('/metrics').expect(200)).text;
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => series[key] === value)) total += Number(match[3]);
  }
  return total;
}

/** Cache counters of @acme/nest-cache (prefix acme_cache_). */
export const cacheHits = (server: HttpServer, subject?: string) => metricValue(server, 'acme_cache_hits_total', subject ? { subject } : {});
export const cacheMisses = (server: HttpServer, subject?: string) => metricValue(server, 'acme_cache_misses_total', subject ? { subject } : {});
export const cacheBypasses = (server: HttpServer, reason?: string) => metricValue(server, 'acme_cache_bypasses_total', reason ? { reason } : {});

/**
 * The same counter read in this process, from prom-client's registry (the apps under test run in
 * the test process and register there): for moments when GET /metrics cannot answer, such as a
 * Redis outage (the queue gauges read Redis on scrape).
 */
export async function registryValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value)).reduce((sum, v) => sum + v.value, 0);
}

/**
 * What the request context costs a request: ContextService.run around the unit of work plus
 * the `get` calls a request typically makes (middleware, a guard, the service, a log line),
 * against the same unit of work called bare. The unit of work is a minimal async handler
 * (one await, a small response object), so the ratio is the overhead on the cheapest request.
 */
import { ContextService, type RequestContext } from '@acme/nest-context';
import { compare, report } from './lib/measure.ts';

const context = new ContextService();
const actor = { kind: 'User', id: 'user-1' } as const;
const fixed: RequestContext = { requestId: 'req-1', workspaceId: 'ws-1', actor };

async function handler(read: () => RequestContext) {
  const guard = read();
  await Promise.resolve();
  const service = read();
  const log = read();
  return { ok: guard.workspaceId === service.workspaceId, requestId: log.requestId };
}

const ours = () => context.run({ requestId: 'req-1', workspaceId: 'ws-1', actor }, () => handler(() => context.require()));
const baseline = () => handler(() => fixed);

const { ours: measuredOurs, baseline: measuredBaseline } = await compare(ours, baseline);
console.log(
  `context: run + 3x get per request ${measuredOurs.nsPerOp.toFixed(0)} ns, bare handler ${measuredBaseline.nsPerOp.toFixed(0)} ns, ` +
    `overhead ${(measuredOurs.nsPerOp - measuredBaseline.nsPerOp).toFixed(0)} ns per request`,
);
report('context', measuredOurs.nsPerOp, measuredBaseline.nsPerOp, 'ns/op', 'lower', { ours: measuredOurs.rounds, baseline: measuredBaseline.rounds });

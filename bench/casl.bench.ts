/**
 * What authorization costs a request: the same Nest route on Fastify, called in-process with
 * `inject` (no sockets, so the guard is not lost in network noise), with PoliciesGuard and a
 * warm ability cache vs without any ability check. Both routes run the same stand-in auth
 * guard that puts the user and workspace on the request. Also prints the cost of a cold
 * ability build and of translating an ability into a Drizzle where clause.
 */
import 'reflect-metadata';
import { AbilityFactory, accessibleBy, caslSubject, CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { ContextService, ContextModule } from '@acme/nest-context';
import { Controller, Get, Injectable, Module, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { PgDialect } from 'drizzle-orm/pg-core';
import { compare, compareInterleaved, report } from './lib/measure.ts';

const WORKSPACE = '0190a0b2-0000-7000-8000-00000000000a';
const context = new ContextService();

@Injectable()
class StandInAuthGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = { sub: 'user-1', roles: ['Operator'] };
    context.update({ workspaceId: WORKSPACE, actor: { kind: 'User', id: 'user-1' } });
    return true;
  }
}

@Controller()
@UseGuards(StandInAuthGuard)
class DealsController {
  @Get('guarded')
  @UseGuards(PoliciesGuard)
  @CheckAbility('Read', 'Deal')
  guarded() {
    return { ok: true };
  }

  @Get('bare')
  bare() {
    return { ok: true };
  }
}

/** A realistic role: ten rules with conditions, a cannot among them. */
const abilities = defineAbilities<'Company' | 'Contact' | 'Deal', 'Operator'>({
  Operator: ({ can, cannot }, { user, workspaceId }) => {
    can('Read', ['Company', 'Contact', 'Deal'], { workspaceId });
    can('Create', ['Company', 'Contact', 'Deal']);
    can('Update', 'Deal', { ownerId: user.id });
    can('Update', 'Company', { ownerId: user.id });
    can('Update', 'Contact', { ownerId: user.id });
    cannot('Update', 'Deal', { stage: { $in: ['Won', 'Lost'] } });
    can('Delete', 'Contact', { ownerId: user.id, archived: true });
    cannot('Read', 'Deal', { confidential: true });
    can('Read', 'Deal', { ownerId: user.id });
    cannot('Delete', 'Company');
  },
});

@Module({ imports: [ContextModule.forRoot(), CaslModule.forRoot({ abilities })], controllers: [DealsController], providers: [StandInAuthGuard] })
class BenchModule {}

const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false, abortOnError: false });
await app.init();
await app.getHttpAdapter().getInstance().ready();
const inject = (url: string) => app.inject({ method: 'GET', url });
for (const url of ['/guarded', '/bare']) {
  const response = await inject(url);
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body}`);
}

const http = await compareInterleaved(
  () => inject('/guarded'),
  () => inject('/bare'),
);

// Cold build: a new user every time, so every call runs the rules.
const factory = app.get(AbilityFactory);
let n = 0;
const cold = await compare(
  () => factory.createFor({ id: `cold-${n++}`, roles: ['Operator'] }, WORKSPACE),
  () => factory.createFor({ id: 'warm', roles: ['Operator'] }, WORKSPACE),
  { iterations: 2_000, rounds: 7, warmup: 1 },
);
factory.invalidate();

const deals = caslSubject(
  pgTable('deals', {
    id: uuid('id'),
    workspaceId: uuid('workspace_id'),
    ownerId: text('owner_id'),
    stage: text('stage'),
    confidential: integer('confidential'),
  }),
  'Deal',
);
const ability = factory.createFor({ id: 'user-1', roles: ['Operator'] }, WORKSPACE);
const dialect = new PgDialect();
const translate = await compare(
  () => dialect.sqlToQuery(accessibleBy(ability, 'Read', deals)),
  () => dialect.sqlToQuery(deals.ownerId.getSQL()),
  { iterations: 5_000, rounds: 7, warmup: 1 },
);
await app.close();

const us = (ns: number) => (ns / 1000).toFixed(2);
console.log(`ability build, cold (10 rules): ${us(cold.ours.nsPerOp)} us; warm cache hit: ${us(cold.baseline.nsPerOp)} us`);
console.log(`accessibleBy translation to SQL: ${us(translate.ours.nsPerOp)} us (a bare column to SQL: ${us(translate.baseline.nsPerOp)} us)`);
console.log(`request p50 with PoliciesGuard ${us(http.ours.nsPerOp)} us, without ${us(http.baseline.nsPerOp)} us (Fastify inject)`);
report('casl', http.ours.nsPerOp / 1000, http.baseline.nsPerOp / 1000, 'us/request', 'lower');

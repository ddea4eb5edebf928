import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Page, ViewResponse } from '@acme/nest-view-presenter';
import { DealPresenter, DealView, dealRow, LastActivityView } from './support/deals.fixture';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';

const Anonymous = z.object({ ok: z.boolean(), n: z.int().nonnegative().default(0) });

@Controller('deals')
class DealsController {
  @Get()
  @ViewResponse(Page(DealView), { description: 'One page of deals' })
  list() {
    return DealPresenter.toPage([dealRow(1)], { total: 1, next_cursor: null });
  }

  @Post()
  @ViewResponse(DealView)
  create() {
    return DealPresenter.toView(dealRow(1));
  }

  @Post('accept')
  @HttpCode(202)
  @ViewResponse(Anonymous)
  accept() {
    return { ok: true };
  }

  @Get('activity')
  @ViewResponse(LastActivityView, { name: 'LastActivity' })
  activity() {
    return { kind: 'None' as const };
  }
}

@Module({ controllers: [DealsController] })
class AppModule {}

const schemaOf = (doc: any, path: string, method: string, status: string) => doc.paths[path][method].responses[status].content['application/json'].schema;
const component = (doc: any, ref: { $ref?: string }) => doc.components.schemas[ref.$ref!.split('/').pop()!];
const kinds = (union: any) => union.oneOf.map((variant: any) => variant.properties.kind.enum ?? [variant.properties.kind.const]);

describe.each(HTTP_ADAPTERS)('OpenAPI document from @ViewResponse on %s', (adapter) => {
  let http: HttpTestApp;
  let doc: any;
  let doc31: any;
  beforeAll(async () => {
    http = await startHttpApp(AppModule, adapter);
    doc = cleanupOpenApiDoc(SwaggerModule.createDocument(http.app, new DocumentBuilder().setTitle('CRM').build()));
    doc31 = cleanupOpenApiDoc(SwaggerModule.createDocument(http.app, new DocumentBuilder().setTitle('CRM').setOpenAPIVersion('3.1.0').build()));
  });
  afterAll(() => http.close());

  it('documents the Page envelope: items of the view, total a count, next_cursor required and nullable', () => {
    const list = doc.paths['/deals'].get.responses['200'];
    expect(list.description).toBe('One page of deals');
    const page = component(doc, list.content['application/json'].schema);
    expect(page.required).toEqual(['items', 'total', 'next_cursor']);
    expect(page.properties.items.type).toBe('array');
    expect(component(doc, page.properties.items.items)).toBe(component(doc, schemaOf(doc, '/deals', 'post', '201')));
    expect(page.properties.total).toMatchObject({ type: 'integer', minimum: 0 });
    expect(page.properties.next_cursor).toEqual({ type: 'string', nullable: true });
    expect(page.additionalProperties).toBe(false);
  });

  it('documents the view with every field required, nullable fields nullable, counts as integers', () => {
    const deal = component(doc, schemaOf(doc, '/deals', 'post', '201'));
    expect(deal.required).toEqual(['id', 'title', 'summary', 'status', 'owner', 'contact_count', 'created_at', 'closed_at', 'last_activity']);
    expect(deal.properties.summary).toEqual({ type: 'string', nullable: true });
    expect(deal.properties.status.enum).toEqual(['Lead', 'Proposal Sent', 'Won', 'Lost']);
    expect(deal.properties.contact_count).toMatchObject({ type: 'integer', minimum: 0, default: 0 });
    expect(deal.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(deal.properties.closed_at).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(deal.properties.owner.properties.avatar_url).toEqual({ type: 'string', nullable: true });
  });

  it('documents tagged unions, nested and as the whole response, with their Title Case kinds', () => {
    const deal = component(doc, schemaOf(doc, '/deals', 'post', '201'));
    expect(kinds(deal.properties.last_activity)).toEqual([['None'], ['Email Sent'], ['Call Logged']]);
    const activity = schemaOf(doc, '/deals/activity', 'get', '200');
    expect(activity.$ref).toBe('#/components/schemas/LastActivity');
    expect(kinds(component(doc, activity))).toEqual([['None'], ['Email Sent'], ['Call Logged']]);
    expect(component(doc, activity).oneOf[1].required).toEqual(['kind', 'at', 'label']);
  });

  it('documents the status Nest sends: 201 for POST, @HttpCode when set, 200 for GET', () => {
    expect(Object.keys(doc.paths['/deals'].post.responses)).toEqual(['201']);
    expect(Object.keys(doc.paths['/deals/accept'].post.responses)).toEqual(['202']);
    expect(Object.keys(doc.paths['/deals'].get.responses)).toEqual(['200']);
    expect(component(doc, schemaOf(doc, '/deals/accept', 'post', '202')).required).toEqual(['ok', 'n']);
  });

  it('uses OpenAPI 3.1 null syntax in a 3.1 document', () => {
    const page = component(doc31, schemaOf(doc31, '/deals', 'get', '200'));
    expect(page.properties.next_cursor).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] });
  });
});

import { AcmeError, AcmeHttpException, ContextModule, ContextNotConfiguredError, ContextService } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DrizzleUnsupportedError,
  RlsPostureError,
  TenancyArgumentError,
  TenancyError,
  TenancyHttpException,
  TenancyModule,
  TenancyOptionsError,
  tenantDb,
  TenantContextMissingError,
  TenantDb,
  TenantNotFoundException,
  tenantPolicySql,
  UnscopableQueryError,
  UserInvalidException,
  WorkspaceInvalidException,
  WorkspaceMismatchException,
  WorkspaceNotFoundException,
  WorkspaceRequiredException,
  type TenancyModuleOptions,
} from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, type TenancyFixture } from './support/database';
import { companies } from './support/schema';

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('TenancyModule: the app’s context, options checked at bootstrap, one error family', () => {
  let fixture: TenancyFixture;
  beforeAll(async () => {
    fixture = await createTenancyFixture();
  });
  afterAll(() => fixture.close());

  const boot = async (options: Partial<TenancyModuleOptions>, withContext = true) => {
    @Module({ imports: [...(withContext ? [ContextModule.forRoot()] : []), TenancyModule.forRoot({ db: fixture.admin, ...options } as TenancyModuleOptions)] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    return app;
  };

  it('an app without ContextModule.forRoot() fails at bootstrap, saying to add it', async () => {
    const error = await refusal(boot({}, false));
    expect(error).toBeInstanceOf(ContextNotConfiguredError);
    expect((error as ContextNotConfiguredError).code).toBe('CONTEXT_NOT_CONFIGURED');
    expect((error as Error).message).toContain('Add ContextModule.forRoot() to the imports of your root module');
  });

  it('with it, TenantDb runs in the app’s context: a workspace set by ContextService is the one queries use', async () => {
    const app = await boot({});
    try {
      const db = app.get(TenantDb);
      await fixture.admin.insert(companies).values({ workspaceId: WS_A, name: 'Scoped' });
      const names = await new ContextService().run({ workspaceId: WS_A, actor: { kind: 'System', id: null } }, async () =>
        (await db.select().from(companies)).map((row) => row.name),
      );
      expect(names).toEqual(['Scoped']);
    } finally {
      await app.close();
      await fixture.admin.delete(companies);
    }
  });

  it.each([
    [{ db: {} }, /option "db" must be a Drizzle Postgres database/],
    [{ systemDb: 'postgres://x' }, /option "systemDb" must be a Drizzle Postgres database/],
    [{ rls: 'yes' }, /option "rls" must be a boolean/],
    [{ rlsSetting: "app.workspace_id'; drop table x; --" }, /option "rlsSetting" must be a setting name like "app.workspace_id"/],
    [{ rlsSetting: 'workspace_id' }, /option "rlsSetting"/],
    [{ tenantColumn: 'workspace id' }, /option "tenantColumn" must be a plain column name/],
    [{ tenantColumn: '' }, /option "tenantColumn"/],
    [{ workspaceClaim: '' }, /option "workspaceClaim" must be a non-empty string/],
    [{ isMember: true }, /option "isMember" must be a function/],
    [{ checkPosture: 'no' }, /option "checkPosture" must be a boolean/],
    [{ tables: ['companies'] }, /option "tables" must be an array of Drizzle pgTable\(\)s/],
  ])('refuses %j at bootstrap with TENANCY_INVALID_OPTIONS naming the option', async (options, message) => {
    const error = await refusal(boot(options as Partial<TenancyModuleOptions>));
    expect(error).toBeInstanceOf(TenancyOptionsError);
    expect(error).toMatchObject({ code: 'TENANCY_INVALID_OPTIONS', name: 'TenancyOptionsError' });
    expect((error as Error).message).toMatch(message);
  });

  it('forRootAsync options are checked the same way', async () => {
    @Module({ imports: [ContextModule.forRoot(), TenancyModule.forRootAsync({ useFactory: () => ({ db: fixture.admin, rlsSetting: 'nope' }) })] })
    class AppModule {}
    const error = await refusal(NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false }));
    expect(error).toBeInstanceOf(TenancyOptionsError);
  });

  it('tenantDb() outside Nest checks its options too', () => {
    expect(() => tenantDb(fixture.admin, { rlsSetting: "x'y" })).toThrow(TenancyOptionsError);
    expect(() => tenantDb(fixture.admin, { tenantColumn: 'a"b' })).toThrow(/tenantDb\(\) option "tenantColumn"/);
    expect(tenantDb(fixture.admin, { rls: true }).rls).toBe(true);
  });

  it('every error is a TenancyError (an AcmeError) or a TenancyHttpException (an AcmeHttpException), with a TENANCY_ code', () => {
    const programming = [
      new TenantContextMissingError('select'),
      new UnscopableQueryError('why'),
      new TenancyOptionsError('why'),
      new TenancyArgumentError('why'),
      new DrizzleUnsupportedError('what', 'range'),
      new RlsPostureError(['problem']),
    ];
    for (const error of programming) {
      expect(error).toBeInstanceOf(TenancyError);
      expect(error).toBeInstanceOf(AcmeError);
      expect(error.code).toMatch(/^TENANCY_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    const http = [
      new TenantNotFoundException('companies'),
      new WorkspaceRequiredException(),
      new WorkspaceInvalidException(),
      new UserInvalidException(),
      new WorkspaceNotFoundException(),
      new WorkspaceMismatchException('companies'),
    ];
    for (const error of http) {
      expect(error).toBeInstanceOf(TenancyHttpException);
      expect(error).toBeInstanceOf(AcmeHttpException);
      expect(error.getResponse()).toEqual({ statusCode: error.getStatus(), code: error.code, message: error.message });
      expect(error.code).toMatch(/^TENANCY_[A-Z_]+$/);
    }
  });
});

describe('tenantPolicySql', () => {
  it('quotes every name and reads the setting once per statement', () => {
    expect(tenantPolicySql('companies')).toEqual([
      'ALTER TABLE "public"."companies" ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE "public"."companies" FORCE ROW LEVEL SECURITY',
      'DROP POLICY IF EXISTS "companies_tenant_isolation" ON "public"."companies"',
      'CREATE POLICY "companies_tenant_isolation" ON "public"."companies" FOR ALL USING ("workspace_id" = (SELECT NULLIF(current_setting(\'app.workspace_id\', true), \'\')::uuid)) WITH CHECK ("workspace_id" = (SELECT NULLIF(current_setting(\'app.workspace_id\', true), \'\')::uuid))',
    ]);
    const custom = tenantPolicySql('Invoices', { schema: 'billing', column: 'tenant_id', setting: 'billing.tenant', columnType: 'text' });
    expect(custom[3]).toBe(
      'CREATE POLICY "Invoices_tenant_isolation" ON "billing"."Invoices" FOR ALL USING ("tenant_id" = (SELECT NULLIF(current_setting(\'billing.tenant\', true), \'\')::text)) WITH CHECK ("tenant_id" = (SELECT NULLIF(current_setting(\'billing.tenant\', true), \'\')::text))',
    );
  });

  it.each([
    ['companies"; drop table x; --', {}, /table "companies\\"; drop table x; --" is not a plain SQL name/],
    ['companies', { schema: 'a.b' }, /option "schema"/],
    ['companies', { column: 'workspace id' }, /option "column"/],
    ['companies', { setting: "app.x'" }, /option "setting" must be a setting name/],
    ['companies', { columnType: 'uuid); drop table x; --' }, /option "columnType"/],
  ])('refuses %j %j with TENANCY_INVALID_ARGUMENT', (table, options, message) => {
    const call = () => tenantPolicySql(table, options);
    expect(call).toThrow(TenancyArgumentError);
    expect(call).toThrow(message);
  });
});

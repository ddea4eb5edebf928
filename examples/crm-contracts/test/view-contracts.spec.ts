import { assertViewContract, isTitleCase } from '@acme/nest-view-presenter';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import * as contracts from '../src/index';

// Request schemas may have optional fields (a PATCH body), and error codes are UPPER_SNAKE machine
// identifiers like the packages' own: everything else this package exports is a view contract.
const NOT_VIEWS = /(Input|Query)$|^(ErrorBody|ErrorCode)$/;

const schemas = Object.entries(contracts).filter(([, value]) => value instanceof z.ZodType) as [string, z.ZodType][];
const views = schemas.filter(([name]) => !NOT_VIEWS.test(name));

describe('crm-contracts', () => {
  it('exports the views a frontend renders', () => {
    expect(views.map(([name]) => name)).toEqual(
      expect.arrayContaining(['CompanyView', 'CompanyPage', 'ContactView', 'DealView', 'MemberView', 'MeView', 'AuditEntryView', 'AuthSessionView']),
    );
  });

  it.each(views)('%s is a view contract (assertViewContract)', (name, schema) => {
    assertViewContract(schema, { name });
  });

  it('every enum value is Title Case', () => {
    const values = [
      contracts.ROLES,
      contracts.DEAL_STAGES,
      contracts.COMPANY_STATUSES,
      contracts.INDUSTRIES,
      contracts.SIZE_RANGES,
      contracts.ACTIVITY_KINDS,
    ].flat();
    expect(values.filter((value) => !isTitleCase(value))).toEqual([]);
  });

  it('every stage has transitions, and closed deals can only be reopened', () => {
    for (const stage of contracts.DEAL_STAGES) expect(contracts.DEAL_TRANSITIONS[stage].length).toBeGreaterThan(0);
    expect(contracts.canTransition('Negotiation', 'Won')).toBe(true);
    expect(contracts.canTransition('New', 'Won')).toBe(false);
    expect(contracts.DEAL_TRANSITIONS.Won).toEqual(['Qualified']);
  });

  it('request schemas reject unknown fields and fill defaults', () => {
    expect(contracts.CreateCompanyInput.safeParse({ name: 'Acme', industry: 'Software', size_range: '1-10', admin: true }).success).toBe(false);
    expect(contracts.CreateCompanyInput.parse({ name: 'Acme', industry: 'Software', size_range: '1-10' })).toMatchObject({
      status: 'Lead',
      domain: null,
      employee_count: 0,
    });
    expect(contracts.UpdateDealInput.safeParse({}).success).toBe(false);
  });

  it('error codes map to 4xx/5xx statuses', () => {
    for (const code of contracts.ERROR_CODES) expect(contracts.ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
  });
});

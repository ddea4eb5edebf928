import { integer, pgTable, serial, text, uuid } from 'drizzle-orm/pg-core';
import { caslSubject } from '@acme/nest-casl';
import { workspaceColumn } from '@acme/nest-tenancy';

export const deals = caslSubject(
  pgTable('deals', {
    id: serial('id').primaryKey(),
    workspaceId: uuid('workspace_id').notNull(),
    title: text('title').notNull(),
    stage: text('stage').notNull(),
    amount: integer('amount').notNull(),
    ownerId: text('owner_id').notNull(),
    region: text('region'),
  }),
  'Deal',
);

export const companies = caslSubject(
  pgTable('companies', {
    id: serial('id').primaryKey(),
    workspaceId: workspaceColumn(),
    name: text('name').notNull(),
  }),
  'Company',
);

export const DDL = `
  CREATE TABLE deals (
    id serial PRIMARY KEY, workspace_id uuid NOT NULL, title text NOT NULL, stage text NOT NULL,
    amount integer NOT NULL, owner_id text NOT NULL, region text
  );
  CREATE TABLE companies (id serial PRIMARY KEY, workspace_id uuid NOT NULL, name text NOT NULL);
`;

export const STAGES = ['New', 'Qualified', 'Proposal Sent', 'Negotiation', 'Won', 'Lost'] as const;
export const REGIONS = ['North', 'South', null] as const;
export const OWNERS = ['u1', 'u2', 'u3'] as const;

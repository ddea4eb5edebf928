import { relations } from 'drizzle-orm';
import { integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantTable, workspaceColumn } from '@acme/nest-tenancy';

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
});

export const companies = pgTable('companies', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  name: text('name').notNull(),
  employees: integer('employees').notNull().default(0),
});

export const contacts = pgTable('contacts', {
  id: uuid('id').primaryKey().defaultRandom(),
  workspaceId: workspaceColumn(),
  companyId: uuid('company_id').notNull(),
  name: text('name').notNull(),
});

/** Has a workspace_id column but is deliberately shared (declared out of tenancy). */
export const memberships = tenantTable(
  pgTable(
    'memberships',
    {
      workspaceId: uuid('workspace_id').notNull(),
      userId: text('user_id').notNull(),
    },
    (t) => [primaryKey({ columns: [t.workspaceId, t.userId] })],
  ),
  null,
);

export const companiesRelations = relations(companies, ({ many }) => ({ contacts: many(contacts) }));
export const contactsRelations = relations(contacts, ({ one }) => ({
  company: one(companies, { fields: [contacts.companyId], references: [companies.id] }),
}));

export const schema = { workspaces, companies, contacts, memberships, companiesRelations, contactsRelations };
export type Schema = typeof schema;

export const DDL = `
  CREATE TABLE workspaces (id uuid PRIMARY KEY, name text NOT NULL);
  CREATE TABLE companies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    name text NOT NULL,
    employees integer NOT NULL DEFAULT 0
  );
  CREATE INDEX companies_workspace_idx ON companies (workspace_id, id);
  CREATE TABLE contacts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    company_id uuid NOT NULL REFERENCES companies(id),
    name text NOT NULL
  );
  CREATE INDEX contacts_workspace_idx ON contacts (workspace_id, id);
  CREATE TABLE memberships (workspace_id uuid NOT NULL, user_id text NOT NULL, PRIMARY KEY (workspace_id, user_id));
`;

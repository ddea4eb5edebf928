import { defineAbilities } from '@acme/nest-casl';
import type { Role } from '@acme-examples/crm-contracts';

/** What CASL checks. 'Profile' is the caller's own account (GET /me, workspace switch). */
export type Subject = 'Company' | 'Contact' | 'Deal' | 'Member' | 'AuditEntry' | 'Profile';

declare module '@acme/nest-casl' {
  interface CaslRegister {
    subjects: Subject;
  }
}

/**
 * The CRM's permissions, one place. Roles are inputs: no code checks a role by name.
 * - Admin: everything, including members and the audit trail.
 * - Operator: runs the CRM (all records, reads members and the audit trail).
 * - Pipeline: a sales rep: reads everything, creates records, changes only what they own.
 * - Viewer: reads records and members.
 */
export const abilities = defineAbilities<Subject, Role>({
  Admin: ({ can }) => {
    can('Manage', 'all');
  },
  Operator: ({ can }) => {
    can('Manage', ['Company', 'Contact', 'Deal']);
    can('Read', ['Member', 'AuditEntry', 'Profile']);
  },
  Pipeline: ({ can }, { user }) => {
    can('Read', ['Company', 'Contact', 'Deal', 'Member', 'Profile']);
    can('Create', ['Company', 'Contact', 'Deal']);
    can('Update', ['Company', 'Contact', 'Deal'], { ownerId: user.id });
  },
  Viewer: ({ can }) => {
    can('Read', ['Company', 'Contact', 'Deal', 'Member', 'Profile']);
  },
});

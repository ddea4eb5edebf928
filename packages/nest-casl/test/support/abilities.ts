import { defineAbilities } from '@acme/nest-casl';

export type Subjects = 'Company' | 'Deal';
export type Roles = 'Admin' | 'Operator' | 'Viewer' | 'Auditor';

/** The roles the HTTP tests use: what each may do, in one place. */
export const abilities = defineAbilities<Subjects, Roles>({
  Admin: ({ can }) => {
    can('Manage', 'all');
  },
  Operator: ({ can, cannot }, { user }) => {
    can(['Read', 'Create'], 'Company');
    can('Read', 'Deal');
    can('Update', 'Deal', { ownerId: user.id });
    cannot('Update', 'Deal', { stage: { $in: ['Won', 'Lost'] } });
  },
  Viewer: ({ can, cannot }) => {
    can('Read', ['Company', 'Deal']);
    cannot('Read', 'Deal', { stage: 'Lost' });
  },
  Auditor: () => {
    // reads nothing through the API
  },
});

import type { AppAbility } from '@acme/nest-casl';
import { definePresenter } from '@acme/nest-view-presenter';
import { MeView, type Role } from '@acme-examples/crm-contracts';
import { toUserSummary } from '../common/user-summary';
import type { UserRow } from '../database/schema';
import type { Subject } from '../authorization/abilities';
import type { WorkspaceMembership } from './identity.directory';

export interface Me {
  user: UserRow;
  workspaceId: string;
  role: Role;
  memberships: WorkspaceMembership[];
  ability: AppAbility;
}

const permissionsFor = (ability: AppAbility, subject: Subject) => ({
  read: ability.can('Read', subject),
  create: ability.can('Create', subject),
  update: ability.can('Update', subject),
  delete: ability.can('Delete', subject),
});

export const MePresenter = definePresenter(MeView, (me: Me) => {
  const current = me.memberships.find((m) => m.workspace.id === me.workspaceId)!;
  const summary = (m: WorkspaceMembership) => ({ id: m.workspace.id, name: m.workspace.name, slug: m.workspace.slug });
  return {
    user: toUserSummary(me.user),
    workspace: summary(current),
    role: me.role,
    workspaces: me.memberships.map((m) => ({ workspace: summary(m), role: m.role, is_current: m.workspace.id === me.workspaceId })),
    permissions: {
      companies: permissionsFor(me.ability, 'Company'),
      contacts: permissionsFor(me.ability, 'Contact'),
      deals: permissionsFor(me.ability, 'Deal'),
      members: permissionsFor(me.ability, 'Member'),
      audit: permissionsFor(me.ability, 'AuditEntry'),
    },
  };
});

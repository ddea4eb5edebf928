// The CRM's contract: what a frontend imports. Plain Zod 4, no server code.
export * from './enums.ts';
export * from './common.ts';
export * from './deal-stages.ts';
export * from './errors.ts';
export { LastActivity } from './views/activity.view.ts';
export { CompanyPage, CompanyView, GrowthSignal } from './views/company.view.ts';
export { ContactPage, ContactView } from './views/contact.view.ts';
export { DealContact, DealPage, DealView } from './views/deal.view.ts';
export { MemberPage, MemberView } from './views/member.view.ts';
export { MeView, Permissions } from './views/me.view.ts';
export { AuthSessionView, LogoutView } from './views/auth.view.ts';
export { AuditActor, AuditChange, AuditEntryView, AuditPage } from './views/audit.view.ts';
export { HealthView } from './views/health.view.ts';
export * from './requests/auth.requests.ts';
export * from './requests/list.requests.ts';
export * from './requests/crm.requests.ts';

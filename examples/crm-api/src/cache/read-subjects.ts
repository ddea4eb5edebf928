/**
 * What each cached read depends on, named by the subjects its writes are audited under: an audited
 * write of any of them (in the same workspace, on any replica or in the worker) makes the read
 * stale. The app audits Company, Contact, Deal and Member writes (and User/Session for sign-up and
 * sessions, which no cached read shows). Activities have no subject of their own: they are written
 * by a deal's stage change and by the worker's stale-deal check, both audited as 'Deal'.
 *
 * A read that gains a join gains its subject here; test/cache.spec.ts writes each one
 * and reads again.
 */

/**
 * A company: its row; contacts_count (Contact); open deals and pipeline (Deal); last activity
 * (Deal: stage changes, stale-deal notes); its owner (Member: membership and role changes).
 */
export const COMPANY_READ_SUBJECTS = ['Company', 'Contact', 'Deal', 'Member'] as const;

/** A deal: its row; its company's name and domain (Company); its primary contact (Contact); its owner (Member). */
export const DEAL_READ_SUBJECTS = ['Deal', 'Company', 'Contact', 'Member'] as const;

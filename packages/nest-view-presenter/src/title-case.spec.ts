import { describe, expect, it } from 'vitest';
import { isTitleCase } from './title-case';

describe('isTitleCase', () => {
  it.each(['None', 'Proposal Sent', 'In Progress', 'Email Sent', 'Closed Won', 'CRM Sync', 'Out of Office', 'Follow-Up', "Won't Fix", '2FA Enabled', 'APIs'])(
    'accepts %j',
    (value) => expect(isTitleCase(value)).toBe(true),
  );

  it.each([
    '',
    'none',
    'proposal_sent',
    'PROPOSAL_SENT',
    'proposalSent',
    'ProposalSent',
    'In progress',
    'in Progress',
    'Email  Sent',
    ' None',
    'Follow-up',
    'Done.',
  ])('rejects %j', (value) => expect(isTitleCase(value)).toBe(false));
});

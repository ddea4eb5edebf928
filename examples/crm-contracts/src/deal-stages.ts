import type { DealStage } from './enums.ts';

/**
 * The stage transitions a deal may make. A frontend draws the "move to" menu from it and the API
 * refuses anything else (409 DEAL_INVALID_TRANSITION). Closed deals can be reopened to 'Qualified'.
 */
export const DEAL_TRANSITIONS: Readonly<Record<DealStage, readonly DealStage[]>> = {
  New: ['Qualified', 'Lost'],
  Qualified: ['Proposal Sent', 'Lost'],
  'Proposal Sent': ['Negotiation', 'Qualified', 'Lost'],
  Negotiation: ['Won', 'Lost', 'Proposal Sent'],
  Won: ['Qualified'],
  Lost: ['Qualified'],
};

/** Whether `from -> to` is an allowed stage transition. */
export function canTransition(from: DealStage, to: DealStage): boolean {
  return DEAL_TRANSITIONS[from].includes(to);
}

// Short words that Title Case keeps lower case after the first word ('Out of Office').
const MINOR_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'in', 'of', 'on', 'or', 'per', 'the', 'to', 'via', 'with']);
// A capitalised word ('Proposal', "Won't", '2nd'), or a short acronym ('CRM', 'API', '2FA').
const WORD = /^(?:[A-Z0-9][a-z0-9]*(?:['\u2019][a-z]+)?|[A-Z0-9]{2,5}s?)$/;

/**
 * Whether `value` is Title Case as the suite stores, transmits and displays it: words separated
 * by single spaces, each capitalised ('Proposal Sent', 'In Progress', 'None'), short acronyms
 * allowed ('CRM Sync'), minor words lower case after the first ('Out of Office'), hyphenated
 * parts each capitalised ('Follow-Up'). Rejects snake_case, camelCase, PascalCase and lower case.
 */
export function isTitleCase(value: string): boolean {
  if (value.length === 0 || value.trim() !== value) return false;
  return value.split(' ').every((word, index) => {
    if (index > 0 && MINOR_WORDS.has(word)) return true;
    return word.length > 0 && word.split('-').every((part) => WORD.test(part));
  });
}

import type { UserSummary } from '@acme-examples/crm-contracts';

/** The columns a UserSummary is built from (select them with `userSummaryColumns(users)` or an alias). */
export interface UserSummaryRow {
  id: string;
  name: string;
  email: string;
  avatarUrl: string | null;
}

/** 'Ada Lovelace' -> 'AL'; one word -> its first two letters. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return words[0]!.slice(0, 2).toUpperCase();
  return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase();
}

export function toUserSummary(row: UserSummaryRow): UserSummary {
  return { id: row.id, name: row.name, email: row.email, initials: initialsOf(row.name), avatar_url: row.avatarUrl };
}

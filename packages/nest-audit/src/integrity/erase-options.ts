import { isStorableText, isUuid } from '@acme/nest-context';
import { AuditEraseError } from './erase.errors';

/** Erase what the entries of one actor hold about them: every entry that actor recorded in the workspace. */
export interface AuditEraseActor {
  /** The workspace whose entries are erased; null for entries recorded without a workspace. */
  workspaceId: string | null;
  /** The actor id as stored (`actor_id`); it is replaced by the returned pseudonym. */
  actorId: string;
}

/** Erase the personal data of the entries about one subject (e.g. subject 'Contact', its id). */
export interface AuditEraseSubject {
  /** The workspace whose entries are erased; null for entries recorded without a workspace. */
  workspaceId: string | null;
  /** Title Case, as stored ('Contact'); unset matches the id under any subject. */
  subject?: string;
  /** The subject id as stored (`subject_id`); it stays (ids are not personal data: the values about it are). */
  subjectId: string;
}

/** Options of `AuditService.erase`: one actor, or one subject. */
export type AuditEraseOptions = AuditEraseActor | AuditEraseSubject;

/** What `AuditService.erase` did. */
export interface AuditErasure {
  /** How many entries had personal data replaced (0 when there was nothing left to erase). */
  erased: number;
  /**
   * `erased:<uuid>`, new for each call: the actor id of the erased entries (actor erasure), and
   * the subject id of the 'Erase' entry that records the erasure. Keep it with the request
   * that asked for the erasure if you need to find those entries again.
   */
  pseudonym: string;
}

/** The validated form of {@link AuditEraseOptions}. */
export type ValidatedErasure =
  { by: 'actor'; workspaceId: string | null; actorId: string } | { by: 'subject'; workspaceId: string | null; subject: string | null; subjectId: string };

/** Longest actor id, subject or subject id accepted (longer ones cannot be stored ids). */
export const MAX_ERASE_TEXT = 1_000;

/**
 * Checks `AuditService.erase` options before anything touches the database.
 * @throws AuditEraseError `AUDIT_ERASE_INVALID`
 */
export function validateEraseOptions(options: unknown): ValidatedErasure {
  if (typeof options !== 'object' || options === null) {
    throw invalid('AuditService.erase needs { workspaceId, actorId } or { workspaceId, subject?, subjectId }.');
  }
  const given = options as Record<string, unknown>;
  const { workspaceId } = given;
  if (workspaceId !== null && !isUuid(workspaceId)) {
    throw invalid(`AuditService.erase option "workspaceId" must be a workspace UUID (or null for entries without a workspace), got ${shown(workspaceId)}.`);
  }
  const hasActor = given.actorId !== undefined;
  const hasSubject = given.subjectId !== undefined || given.subject !== undefined;
  if (hasActor === hasSubject) {
    throw invalid(
      hasActor
        ? 'AuditService.erase erases one actor or one subject per call: pass either { actorId } or { subject?, subjectId }, and call it twice for both.'
        : 'AuditService.erase needs "actorId" (an actor\'s entries) or "subjectId" (the entries about a subject).',
    );
  }
  if (hasActor) return { by: 'actor', workspaceId: workspaceId as string | null, actorId: text('actorId', given.actorId) };
  const subject = given.subject === undefined || given.subject === null ? null : text('subject', given.subject);
  return { by: 'subject', workspaceId: workspaceId as string | null, subject, subjectId: text('subjectId', given.subjectId) };
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`AuditService.erase option "${option}" must be a non-empty string, got ${shown(value)}.`);
  }
  if (value.length > MAX_ERASE_TEXT) {
    throw invalid(`AuditService.erase option "${option}" must be at most ${MAX_ERASE_TEXT} characters (got ${value.length}): no stored id is longer.`);
  }
  if (!isStorableText(value)) {
    throw invalid(
      `AuditService.erase option "${option}" contains a NUL character (U+0000) or an unpaired UTF-16 surrogate, which no stored entry can hold: remove it.`,
    );
  }
  return value;
}

function invalid(message: string): AuditEraseError {
  return new AuditEraseError(message);
}

/** The rejected value for the message, without echoing a huge one back. */
function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > 100) return `a string of ${value.length} characters`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value; // a bigint, a cycle: not worth echoing
  }
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

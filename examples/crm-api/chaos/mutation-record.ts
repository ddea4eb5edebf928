import type { WorkspaceKey } from './entity-pool';
import type { Expectation, PlannedMutation } from './workload';

/** One mutation the run sent, and what came back. */
export interface MutationRecord {
  seq: number;
  requestId: string;
  action: PlannedMutation['action'];
  subject: PlannedMutation['subject'];
  method: string;
  path: string;
  workspace: WorkspaceKey;
  workspaceId: string;
  actor: string;
  expect: Expectation;
  /** The record changed or created (null for a create that failed). */
  subjectId: string | null;
  /** HTTP status; 0 when no response came. */
  status: number;
  /** The error body's `code`, or the transport error. */
  code: string | null;
  /** The x-request-id the API echoed (must be the one sent). */
  echoedRequestId: string | null;
  startedAt: number;
  endedAt: number;
}

export const succeeded = (m: MutationRecord) => m.status >= 200 && m.status < 300;

/** `m000042 Update Deal (globex, frank Pipeline) 200`: how a mutation is named in the report. */
export const describeMutation = (m: MutationRecord) =>
  `${m.requestId.slice(m.requestId.lastIndexOf('-') + 1)} ${m.action} ${m.subject} ${m.subjectId ?? '(no id)'} (${m.workspace}, ${m.actor}) -> ${m.status || 'no response'}${m.code ? ` ${m.code}` : ''}`;

import { z } from 'zod';
import { isoDateTime } from '../common.ts';
import { ACTIVITY_KINDS, type ActivityKind } from '../enums.ts';

/**
 * The last thing that happened on a record: `{ kind: 'None' }` or `{ kind, at, label }` with the
 * sentence the UI shows ('Call with Ada Lovelace'). A discriminated union, never optional fields.
 */
const activityVariants = ACTIVITY_KINDS.map((kind) => z.object({ kind: z.literal(kind), at: isoDateTime(), label: z.string() }));
export const LastActivity = z.discriminatedUnion('kind', [z.object({ kind: z.literal('None') }), ...activityVariants]).meta({ id: 'LastActivity' });
export type LastActivity = { kind: 'None' } | { kind: ActivityKind; at: string; label: string };

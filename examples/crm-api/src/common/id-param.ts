import { Param, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error';

const validUuid = new ParseUUIDPipe({ exceptionFactory: () => new ApiError('INVALID_ID', 'The id in the path is not a valid id (a UUID).') });
// One spelling, the one PostgreSQL prints: what the audit trail records as subject_id for a refused
// call is the id as the path spelled it.
const lowerCase: PipeTransform<string, string> = { transform: (id) => id.toLowerCase() };

/**
 * The `:id` path parameter through Nest's `ParseUUIDPipe` (UUID versions 1 to 8 with the RFC
 * variant, or the nil and max UUIDs, in any case), lower-cased. Anything else, hostile text
 * included, is a 400 `INVALID_ID` before any query runs.
 */
export const IdParam = () => Param('id', validUuid, lowerCase);

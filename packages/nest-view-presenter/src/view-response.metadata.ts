import type { z } from 'zod';
import type { ViewResponseOptions } from './view-response.decorator';

/** Handler metadata key `@ViewResponse` sets (internal: the interceptor reads it). */
export const VIEW_RESPONSE_METADATA = Symbol.for('@acme/nest-view-presenter:view-response');

export interface ViewResponseMetadata {
  schema: z.ZodType;
  /** `Controller.handler`, used in violation logs. */
  name: string;
  options: ViewResponseOptions;
}

import type { PipeTransform, Type } from '@nestjs/common';
import { createZodValidationPipe } from 'nestjs-zod';
import type { z } from 'zod';
import { ApiError } from './api-error';

/** nestjs-zod's pipe for every @Body/@Query DTO, failing with the contract's VALIDATION_FAILED and one issue per field. */
export const AppValidationPipe: Type<PipeTransform> = createZodValidationPipe({
  createValidationException: (error: unknown) => {
    const issues = ((error as z.ZodError).issues ?? []).map((issue) => ({
      path: issue.path.length ? issue.path.join('.') : '(body)',
      message: issue.message,
    }));
    const summary = issues
      .slice(0, 3)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ');
    return new ApiError('VALIDATION_FAILED', `The request is invalid: ${summary}.`, issues);
  },
});

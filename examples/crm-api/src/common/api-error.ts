import { HttpException } from '@nestjs/common';
import { ERROR_STATUS, type ErrorCode } from '@acme-examples/crm-contracts';

export interface ApiIssue {
  path: string;
  message: string;
}

/** An error the API answers with on purpose: a stable contract code, its status, a message for people. */
export class ApiError extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super({ statusCode: ERROR_STATUS[code], code, message }, ERROR_STATUS[code]);
  }
}

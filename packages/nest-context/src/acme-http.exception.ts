import { HttpException, type HttpStatus } from '@nestjs/common';

/** The body every @acme HTTP error answers with. */
export interface AcmeHttpErrorBody {
  statusCode: number;
  /** Stable, prefixed by the package that refused (`TENANCY_NOT_FOUND`, `CASL_FORBIDDEN`, ...). */
  code: string;
  message: string;
}

/**
 * Base of every HTTP error the @acme packages throw (each package's own base extends it:
 * `TenancyHttpException`, `CaslHttpException`, ...), so an app's exception filter can tell them
 * apart from its own with one `instanceof` and read one body shape.
 */
export abstract class AcmeHttpException extends HttpException {
  constructor(
    readonly code: string,
    message: string,
    status: HttpStatus,
    options?: { cause?: unknown },
  ) {
    super({ statusCode: status, code, message } satisfies AcmeHttpErrorBody, status, options);
    this.name = new.target.name;
  }
}

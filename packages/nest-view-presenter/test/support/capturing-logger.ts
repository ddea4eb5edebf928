import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what it is given, for asserting on logged records. */
export class CapturingLogger implements LoggerService {
  readonly errors: unknown[] = [];
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  error(message: unknown): void {
    this.errors.push(message);
  }
}

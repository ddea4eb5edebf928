import { QueueProcessor, type PayloadOf, type QueueHandler } from '@acme/nest-queues';
import { Logger } from '@nestjs/common';
import { emails } from '../jobs/queues';

/** "Sends" an email by rendering it to the log: the example has no mail server. */
@QueueProcessor(emails)
export class EmailsProcessor implements QueueHandler<typeof emails> {
  private readonly logger = new Logger('Emails');

  process(payload: PayloadOf<typeof emails>): { rendered: string } {
    const rendered = [`To: ${payload.to}`, `Subject: ${payload.subject}`, '', ...payload.lines.map((line) => `  - ${line}`)].join('\n');
    this.logger.log({ msg: 'email rendered', template: payload.template, to: payload.to, email: rendered });
    return { rendered };
  }
}

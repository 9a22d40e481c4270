/** The change buffer on SQS: one message per change, which the change scanner's event source gathers into batches. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { bufferedChangeBody } from '../core/change-message.ts';
import type { BufferedChange, ChangeBuffer } from '../core/ports.ts';

export class SqsChangeBuffer implements ChangeBuffer {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(change: BufferedChange): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: bufferedChangeBody(change) }),
    );
  }
}

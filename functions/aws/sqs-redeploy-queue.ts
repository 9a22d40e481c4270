/** The durable hand-off between planning and acting: one SQS message per service and change. */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RedeployMessage, RedeployQueue } from '../core/ports.ts';

/** SendMessageBatch takes 10 messages; SQS delays a message at most 15 minutes. */
const SEND_BATCH = 10;
export const MAX_DELAY_SECONDS = 900;

export class QueueSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueSendError';
  }
}

export class SqsRedeployQueue implements RedeployQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: readonly RedeployMessage[], delaySeconds: number): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds)));
    for (let start = 0; start < messages.length; start += SEND_BATCH) {
      let entries = messages.slice(start, start + SEND_BATCH).map((message, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(message),
        DelaySeconds: delay,
      }));
      // A batch can half succeed: send the failed entries again, then give up loudly.
      for (let attempt = 0; entries.length > 0; attempt += 1) {
        const answer = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        const failed = new Set((answer.Failed ?? []).map((failure) => failure.Id));
        if (failed.size > 0 && attempt >= 3) {
          throw new QueueSendError(
            `${failed.size} redeploy messages could not be queued: ${(answer.Failed ?? []).map((failure) => `${failure.Code}: ${failure.Message}`).join('; ')}`,
          );
        }
        entries = entries.filter((entry) => failed.has(entry.Id));
      }
    }
  }
}

/** Puts a failed message back out of sight for a while, so retries back off instead of hammering ECS. */
export class SqsRetryDelay {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

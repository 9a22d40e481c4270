/** The redeploy queue on SQS: one message per service and change, and the retry delay of a received one. */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunks } from '../core/chunks.ts';
import { RotationRedeployError } from '../core/errors.ts';
import type { RedeployQueue, RetryDelay } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import { LIMITS, SQS_BATCH_MAX } from '../wiring/limits.ts';

/** Some messages of a batch were still refused after the retries. */
export class QueueSendError extends RotationRedeployError {}

/** Sends of a batch's refused entries before giving up, the first included. */
const SEND_ATTEMPTS = 4;

export class SqsRedeployQueue implements RedeployQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: readonly RedeployMessage[], delaySeconds: number): Promise<void> {
    // SQS delays a message at most 15 minutes: the same bound as the coalescing window's.
    const delay = Math.max(0, Math.min(LIMITS.coalesceSeconds.max, Math.round(delaySeconds)));
    for (const batch of chunks(messages, SQS_BATCH_MAX)) {
      let entries = batch.map((message, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(message),
        DelaySeconds: delay,
      }));
      // A batch can half succeed: send the failed entries again, then give up loudly.
      for (let attempt = 1; entries.length > 0; attempt += 1) {
        const answer = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        const failed = new Set((answer.Failed ?? []).map((failure) => failure.Id));
        if (failed.size > 0 && attempt >= SEND_ATTEMPTS) {
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
export class SqsRetryDelay implements RetryDelay {
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

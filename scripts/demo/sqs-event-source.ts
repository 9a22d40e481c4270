/**
 * The stand-in for Lambda's SQS event source: receive a batch from the redeploy queue, invoke the worker
 * with it, delete the messages it reports done and hand back the ones it reports failed.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SQS_BATCH_MAX } from '../../functions/wiring/limits.ts';
import { sqsEventOf } from '../sqs-event.ts';
import { DemoError } from './demo-error.ts';
import type { Functions } from './lambda-runtime.ts';
import { type WorkerOutcome, workerOutcomes } from './worker-log.ts';

/** One batch the event source handed the worker, and what came of it. */
export interface Batch {
  readonly number: number;
  readonly messages: number;
  readonly outcomes: readonly WorkerOutcome[];
  /** Messages the worker reported failed: back on the queue for a later retry. */
  readonly returned: number;
}

/** The most batches the demo waits for: far more than its few messages need. */
const MOST_BATCHES = 10;

export interface QueueSetting {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
}

/** Drains the queue batch after batch until a receive finds it empty; `onBatch` sees each as it ends. */
export async function drainQueue(
  sqs: SQSClient,
  queue: QueueSetting,
  worker: Functions['redeployWorker'],
  onBatch: (batch: Batch) => void,
): Promise<Batch[]> {
  const batches: Batch[] = [];
  for (let number = 1; ; number++) {
    if (number > MOST_BATCHES) {
      throw new DemoError(`the redeploy queue did not drain in ${MOST_BATCHES} batches`);
    }
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl,
        MaxNumberOfMessages: SQS_BATCH_MAX,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0) return batches;
    const { result, lines } = await worker(sqsEventOf(messages, queue));
    const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const message of messages) {
      const receipt = { QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle };
      if (failed.has(message.MessageId ?? '')) {
        // The worker put it out of sight for a while before its retry; the demo does not wait for that.
        await sqs.send(new ChangeMessageVisibilityCommand({ ...receipt, VisibilityTimeout: 0 }));
      } else {
        await sqs.send(new DeleteMessageCommand(receipt));
      }
    }
    const batch = {
      number,
      messages: messages.length,
      outcomes: workerOutcomes(lines),
      returned: failed.size,
    };
    batches.push(batch);
    onBatch(batch);
  }
}

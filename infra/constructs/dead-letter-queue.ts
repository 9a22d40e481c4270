/** The queues that keep what could not be handled, so nothing a change needed is lost without a trace. */
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Every queue of this app: encrypted with SQS managed keys (EventBridge cannot send to a queue under the AWS
 * managed key alias/aws/sqs, and a key of our own would need a key policy), and refusing requests without TLS.
 */
export const QUEUE_DEFAULTS = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const;

/** The longest SQS keeps a message: dead letters wait for someone to look at them. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * A dead-letter queue that no SQS redrive policy names (an EventBridge target's or a function's), created in
 * `scope` under `id`. cdk-nag recognizes only a queue named in a redrive policy as a dead-letter queue and
 * would ask for one behind it: `whyNoQueueBehind` acknowledges that finding for this queue.
 */
export function createDeadLetterQueue(scope: Construct, id: string, whyNoQueueBehind: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { ...QUEUE_DEFAULTS, retentionPeriod: DEAD_LETTER_RETENTION });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: whyNoQueueBehind });
  return queue;
}

/**
 * The change buffer: the change functions put each change there, and the change scanner's event source hands
 * the changes that arrived within the batching window to one invocation, which scans once for all of them. Its
 * dead-letter queue keeps a change whose scan failed every attempt.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { BundledFunction } from './bundled-function.ts';
import { DEAD_LETTER_RETENTION, QUEUE_DEFAULTS } from './dead-letter-queue.ts';

/** How the change scanner consumes the change buffer. */
export const SCANNER_SETTINGS = {
  /** The Lambda maximum: one run pages through every service of the account, whatever the batch. */
  timeout: Duration.minutes(15),
  /**
   * Scanner instances the event source runs at once (2 is the least Lambda accepts): each scans the whole
   * account, so more would only multiply the pressure on ECS buckets CI/CD shares.
   */
  maxConcurrency: 2,
  /** Lambda's guidance for an SQS event source: a visibility timeout of six times the function's timeout. */
  visibilityTimeoutFactor: 6,
} as const;

export interface ChangeBufferProps {
  /** Receives of a change before SQS moves it to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export interface ChangeBuffer {
  /** One message per change a change function accepted. */
  readonly queue: sqs.Queue;
  /** Changes whose scan failed every attempt; redrive them to `queue` once the cause is fixed. */
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * Creates the buffer and its dead-letter queue in `scope`, as `ChangeBufferQueue` and
 * `ChangeBufferDeadLetterQueue`, beside the other queues (no construct of their own, like them).
 */
export function createChangeBuffer(scope: Construct, props: ChangeBufferProps): ChangeBuffer {
  const deadLetterQueue = new sqs.Queue(scope, 'ChangeBufferDeadLetterQueue', {
    ...QUEUE_DEFAULTS,
    retentionPeriod: DEAD_LETTER_RETENTION,
    // Any queue of this account and Region may name it: naming only the buffer would make each queue refer
    // to the other, a circular dependency CloudFormation refuses.
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
  });
  const queue = new sqs.Queue(scope, 'ChangeBufferQueue', {
    ...QUEUE_DEFAULTS,
    visibilityTimeout: Duration.seconds(
      SCANNER_SETTINGS.timeout.toSeconds() * SCANNER_SETTINGS.visibilityTimeoutFactor,
    ),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

export interface ScannerSubscription {
  /** Changes one invocation handles at most. */
  readonly batchSize: number;
  /** How long the event source gathers changes before it invokes the scanner. */
  readonly batchingWindow: Duration;
}

/**
 * Subscribes the scanner to the buffer: batches gathered for the window, single-message failures reported
 * back, at most `SCANNER_SETTINGS.maxConcurrency` instances. The event source grants the scanner's role what
 * consuming needs (receive, delete, change visibility).
 */
export function subscribeScanner(
  queue: sqs.IQueue,
  scanner: BundledFunction,
  subscription: ScannerSubscription,
): eventSources.SqsEventSource {
  const eventSource = new eventSources.SqsEventSource(queue, {
    batchSize: subscription.batchSize,
    maxBatchingWindow: subscription.batchingWindow,
    reportBatchItemFailures: true,
    maxConcurrency: SCANNER_SETTINGS.maxConcurrency,
  });
  scanner.function.addEventSource(eventSource);
  // The mapping needs the role's receive grant, which lands in the role's default policy: order it first.
  for (const child of scanner.function.node.children) {
    if (child instanceof lambda.EventSourceMapping) child.node.addDependency(scanner.role);
  }
  return eventSource;
}

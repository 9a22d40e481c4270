/**
 * The redeploy queue: one message per service to redeploy, delayed by the coalescing window, consumed by the
 * worker in batches; its dead-letter queue keeps the messages that failed every attempt.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SQS_BATCH_MAX } from '../../functions/wiring/limits.ts';
import type { BundledFunction } from './bundled-function.ts';
import { DEAD_LETTER_RETENTION, QUEUE_DEFAULTS } from './dead-letter-queue.ts';

/** How the redeploy worker consumes the redeploy queue. */
export const WORKER_SETTINGS = {
  /** One batch of UpdateService calls, paced at a share of `updatesPerSecond` and slowed by throttling. */
  timeout: Duration.minutes(2),
  /** The worker holds no scan: one SDK client and a batch of small messages. */
  memorySize: 256,
  /** SQS's largest batch without a batching window. */
  batchSize: SQS_BATCH_MAX,
  /**
   * Worker instances the event source runs at once (2 is the least Lambda accepts). Each paces its own
   * UpdateService calls at `updatesPerSecond / maxConcurrency`, so together they stay under `updatesPerSecond`.
   */
  maxConcurrency: 2,
  /**
   * Lambda's guidance for an SQS event source: a visibility timeout of at least six times the function's
   * timeout, so a batch still being retried after throttling is not handed to a second worker meanwhile.
   */
  visibilityTimeoutFactor: 6,
} as const;

/** How long a received message stays hidden: the worker holds its service for as long. */
export const REDEPLOY_VISIBILITY_TIMEOUT = Duration.seconds(
  WORKER_SETTINGS.timeout.toSeconds() * WORKER_SETTINGS.visibilityTimeoutFactor,
);

export interface RedeployQueueProps {
  /** Receives of a message before SQS moves it to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export interface RedeployQueue {
  /** One message per service to redeploy. */
  readonly queue: sqs.Queue;
  /** Messages that failed every attempt; redrive them to `queue` once the cause is fixed. */
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * Creates the queue and its dead-letter queue in `scope`, as `RedeployQueue` and `RedeployDeadLetterQueue`:
 * in the caller's scope rather than a construct of their own, so their logical ids stay those of the
 * deployed queues and an update never replaces them (a replaced queue loses the messages it holds).
 */
export function createRedeployQueue(scope: Construct, props: RedeployQueueProps): RedeployQueue {
  const deadLetterQueue = new sqs.Queue(scope, 'RedeployDeadLetterQueue', {
    ...QUEUE_DEFAULTS,
    retentionPeriod: DEAD_LETTER_RETENTION,
    // Any queue of this account and Region may name it as its dead-letter queue, the redeploy queue
    // included. Naming only the redeploy queue (byQueue) would make each queue refer to the other: a
    // circular dependency CloudFormation refuses.
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
  });
  const queue = new sqs.Queue(scope, 'RedeployQueue', {
    ...QUEUE_DEFAULTS,
    visibilityTimeout: REDEPLOY_VISIBILITY_TIMEOUT,
    // A message that failed every attempt moves here; operators move it back with a dead-letter queue
    // redrive (the console's "Start DLQ redrive", or StartMessageMoveTask without a DestinationArn), and
    // the worker then redeploys the service once for the changes it carries.
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

export interface RedeploySenders {
  /** The roles of the stack's functions that queue redeploys (the change functions, and the worker's requeues). */
  readonly roles: readonly iam.IRole[];
  /** Further role ARNs that may send (operators' redrive roles). */
  readonly redriveRoleArns?: readonly string[] | undefined;
}

/**
 * Lets only the stack's own functions send to the redeploy queue: a message there makes the worker redeploy a
 * service, so nobody else in the account may write one, whatever their own policy grants. An explicit deny in
 * the queue's policy wins over any allow. Not denied: requests an AWS service makes on a principal's behalf
 * (`aws:ViaAWSService`), such as a dead-letter queue redrive's; and the roles in `redriveRoleArns`. SQS's own
 * move of a message to the dead-letter queue after maxReceiveCount receives is no SendMessage and needs no grant.
 * The change buffer is guarded the same way under its own `sid`: a change put there is scanned for.
 */
export function restrictSenders(
  queue: sqs.Queue,
  senders: RedeploySenders,
  sid = 'OnlyThisStackQueuesRedeploys',
): void {
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: {
        ArnNotEquals: {
          'aws:PrincipalArn': [
            ...senders.roles.map((role) => role.roleArn),
            ...(senders.redriveRoleArns ?? []),
          ],
        },
        BoolIfExists: { 'aws:ViaAWSService': 'false' },
      },
    }),
  );
}

/**
 * Subscribes the worker to the queue: batches, single-message failures reported back, and at most
 * `WORKER_SETTINGS.maxConcurrency` instances. The event source grants the worker's role what consuming
 * needs (receive, delete, change visibility).
 */
export function subscribeWorker(queue: sqs.IQueue, worker: BundledFunction): eventSources.SqsEventSource {
  const eventSource = new eventSources.SqsEventSource(queue, {
    batchSize: WORKER_SETTINGS.batchSize,
    reportBatchItemFailures: true,
    maxConcurrency: WORKER_SETTINGS.maxConcurrency,
  });
  worker.function.addEventSource(eventSource);
  // Lambda checks that the role may receive from the queue when the mapping is created, and the grant lands
  // in the role's default policy, which CDK only orders before the function itself: order it before the
  // mapping too, or the first deployment can fail on a race.
  for (const child of worker.function.node.children) {
    if (child instanceof lambda.EventSourceMapping) child.node.addDependency(worker.role);
  }
  return eventSource;
}

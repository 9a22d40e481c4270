/**
 * What follows every deployment the worker starts to its end: the settle queue (ECS Deployment State Change
 * events and delayed looks) and its dead-letter queue, the settle function that consumes it, the rule that
 * puts the events on it, and the topic settled reports are published to. Created in the caller's scope, like the other parts, so the
 * logical ids do not depend on how the construct is split into modules.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLES, ENV, type EnvName } from '../../functions/contract.ts';
import {
  DEPLOYMENT_EVENT_DETAIL_TYPE,
  DEPLOYMENT_EVENT_NAMES,
  DEPLOYMENT_EVENT_SOURCE,
} from '../../functions/core/deployment-event.ts';
import { SQS_BATCH_MAX } from '../../functions/wiring/limits.ts';
import { BundledFunction, type BundledFunctionProps } from './bundled-function.ts';
import { DEAD_LETTER_RETENTION, QUEUE_DEFAULTS } from './dead-letter-queue.ts';
import type { RotationRedeploySettings } from './rotation-redeploy-props.ts';

/** How the settle function runs: a batch of reads (a lookup, a DescribeServices or two) and a few writes. */
export const SETTLE_SETTINGS = {
  timeout: Duration.minutes(1),
  memorySize: 256,
  /** Settle instances the queue's event source runs at once (2 is the least Lambda accepts). */
  maxConcurrency: 2,
  /** Receives of a check before it goes to the dead-letter queue: a look that fails is looked at again. */
  maxReceiveCount: 5,
} as const;

export interface SettleQueue {
  /** ECS Deployment State Change events, and delayed looks at a deployment or at a change's deadline. */
  readonly queue: sqs.Queue;
  /** Events and looks that failed every receive: a change they were about may never settle. */
  readonly deadLetterQueue: sqs.Queue;
}

/** Creates the settle queue and its dead-letter queue in `scope`, as `SettleQueue` and `SettleDeadLetterQueue`. */
export function createSettleQueue(scope: Construct): SettleQueue {
  const deadLetterQueue = new sqs.Queue(scope, 'SettleDeadLetterQueue', {
    ...QUEUE_DEFAULTS,
    retentionPeriod: DEAD_LETTER_RETENTION,
  });
  const queue = new sqs.Queue(scope, 'SettleQueue', {
    ...QUEUE_DEFAULTS,
    // Lambda's guidance for an SQS event source: six times the function's timeout.
    visibilityTimeout: Duration.seconds(SETTLE_SETTINGS.timeout.toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: SETTLE_SETTINGS.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/** What the change functions and the worker need to know to have their deployments followed. */
export function followingEnvironment(
  settleQueue: sqs.IQueue,
  settings: Pick<RotationRedeploySettings, 'rolloutTimeoutMinutes'>,
): Partial<Record<EnvName, string>> {
  return {
    [ENV.settleQueueUrl]: settleQueue.queueUrl,
    [ENV.rolloutTimeoutMinutes]: String(settings.rolloutTimeoutMinutes),
  };
}

/**
 * The topic settled reports are published to, created in `scope` as `NotifyTopic`: encrypted with the AWS
 * managed key for SNS (whose key policy lets this account's principals publish through SNS, so the settle
 * function needs no KMS permission) and refusing requests without TLS.
 */
export function createNotifyTopic(scope: Construct, notifyEmail: string | undefined): sns.Topic {
  const topic = new sns.Topic(scope, 'NotifyTopic', {
    displayName: 'Rotation redeploy: settled reports',
    enforceSSL: true,
    masterKey: kms.Alias.fromAliasName(scope, 'SnsManagedKey', 'alias/aws/sns'),
  });
  if (notifyEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(notifyEmail));
  return topic;
}

export interface SettleFunctionProps {
  readonly settings: RotationRedeploySettings;
  readonly stateTable: dynamodb.ITable;
  readonly settleQueue: sqs.IQueue;
  readonly notifyTopic: sns.ITopic;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: BundledFunctionProps['logRetention'];
  /**
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * The settle function, created in `scope` as `SettleRollouts`, subscribed to the settle queue: the only thing
 * that invokes it, so at most `SETTLE_SETTINGS.maxConcurrency` processes read ECS at once, whatever the
 * account's deployments.
 */
export function createSettleFunction(scope: Construct, props: SettleFunctionProps): BundledFunction {
  const { settings } = props;
  const fn = new BundledFunction(scope, 'SettleRollouts', {
    bundleDir: settings.bundleDir,
    bundleName: BUNDLES.settleRollouts,
    description:
      'Follows the deployments the tool started to their end and reports each change once, when settled',
    environment: {
      ...followingEnvironment(props.settleQueue, settings),
      [ENV.tableName]: props.stateTable.tableName,
      [ENV.notifyTopicArn]: props.notifyTopic.topicArn,
      [ENV.notifyOn]: settings.notifyOn,
      // Off: no deployment goes through CodeDeploy, and the function may not read CodeDeploy's.
      [ENV.codeDeploy]: String(settings.codeDeploy),
    },
    logRetention: props.logRetention,
    tracing: props.tracing,
    timeout: SETTLE_SETTINGS.timeout,
    memorySize: SETTLE_SETTINGS.memorySize,
    // No reservation: the event source's maxConcurrency bounds it (a reservation below would throttle
    // batches into the dead-letter queue; one above would only take capacity from the account's pool).
    reservedConcurrency: null,
    invokedAsynchronously: false,
  });
  fn.function.addEventSource(
    new eventSources.SqsEventSource(props.settleQueue, {
      batchSize: SQS_BATCH_MAX,
      reportBatchItemFailures: true,
      maxConcurrency: SETTLE_SETTINGS.maxConcurrency,
    }),
  );
  // As for the worker: the grant to receive lands in the role's default policy, which must exist before the
  // mapping is created.
  for (const child of fn.function.node.children) {
    if (child instanceof lambda.EventSourceMapping) child.node.addDependency(fn.role);
  }
  return fn;
}

/**
 * The rule, created in `scope` as `DeploymentStateChangeRule`, that puts every ECS deployment's start, end
 * and failure on the settle queue; the settle function keeps only the tool's own (one read each).
 */
export function createDeploymentStateRule(
  scope: Construct,
  settleQueue: sqs.IQueue,
  deliveryDeadLetterQueue: sqs.IQueue,
): events.Rule {
  return new events.Rule(scope, 'DeploymentStateChangeRule', {
    description: 'ECS deployments started, completed or failed: the settle function keeps the tool’s own',
    eventPattern: {
      // The tool deploys in its own account only: a deployment event forwarded from another is never its own.
      account: [Stack.of(scope).account],
      source: [DEPLOYMENT_EVENT_SOURCE],
      detailType: [DEPLOYMENT_EVENT_DETAIL_TYPE],
      detail: { eventName: [...DEPLOYMENT_EVENT_NAMES] },
    },
    targets: [
      new targets.SqsQueue(settleQueue, {
        deadLetterQueue: deliveryDeadLetterQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    ],
  });
}

/**
 * The reusable construct: EventBridge rules for secret and parameter changes, the change functions that read
 * each change's metadata and buffer it, the change scanner that finds the ECS services using any change of a
 * burst with one scan and queues one redeploy message per service and change, the worker that redeploys them, the
 * state table that makes each redeploy happen once per change, dead-letter queues that keep whatever could not
 * be handled, and the monitoring. It only composes: each part is built by its own module. The parts are
 * created in this construct's scope rather than in constructs of their own, so the logical ids of the
 * retained table and of queues holding messages stay those already deployed.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BundledFunction } from './bundled-function.ts';
import { createChangeBuffer, SCANNER_SETTINGS, subscribeScanner } from './change-buffer.ts';
import { createChangeRules } from './change-rules.ts';
import { createDeadLetterQueue } from './dead-letter-queue.ts';
import { assignEcsShares } from './ecs-shares.ts';
import { grantBuffering, grantPlanning, grantRedeploying, grantSettling } from './permissions.ts';
import { createReconcile, RECONCILE_CONCURRENCY } from './reconcile.ts';
import { createChangeFunctions, createChangeScanner, createRedeployWorker } from './redeploy-functions.ts';
import { RedeployMonitoring } from './redeploy-monitoring.ts';
import { createRedeployQueue, restrictSenders, subscribeWorker, WORKER_SETTINGS } from './redeploy-queue.ts';
import { addRolloutMonitoring, type RolloutMonitoring } from './rollout-monitoring.ts';
import {
  createDeploymentStateRule,
  createNotifyTopic,
  createSettleFunction,
  createSettleQueue,
  SETTLE_SETTINGS,
} from './rollout-settling.ts';
import { type RotationRedeployProps, settingsFromProps } from './rotation-redeploy-props.ts';
import { createStateTable } from './state-table.ts';

export type { RotationRedeployProps };

export class RotationRedeploy extends Construct {
  /** Handles Secrets Manager events (native and, if enabled, CloudTrail). */
  public readonly secretChanged: BundledFunction;
  /** Handles SSM Parameter Store events. */
  public readonly parameterChanged: BundledFunction;
  /** The functions EventBridge invokes: they read each change's metadata and put it in the change buffer. */
  public readonly changeFunctions: readonly BundledFunction[];
  /** Consumes the change buffer: one scan per batch of changes, one queued redeploy per service and change. */
  public readonly changeScanner: BundledFunction;
  /** Gathers the changes of a burst, so one scan handles them all. */
  public readonly changeBuffer: sqs.Queue;
  /** Changes whose scan failed every attempt; redrive them to `changeBuffer` once the cause is fixed. */
  public readonly changeBufferDeadLetterQueue: sqs.Queue;
  /** The scanner's subscription to `changeBuffer`. */
  public readonly changeBufferEventSource: eventSources.SqsEventSource;
  /** Consumes the redeploy queue: the only function that calls `ecs:UpdateService`. */
  public readonly redeployWorker: BundledFunction;
  /** Every function this construct deploys. */
  public readonly functions: readonly BundledFunction[];
  /** Task definition references, once-per-change records, pending and done redeploys; retained. */
  public readonly stateTable: dynamodb.Table;
  /** One message per service to redeploy, delayed by the coalescing window. */
  public readonly redeployQueue: sqs.Queue;
  /** Redeploy messages that failed every attempt; redrive them to `redeployQueue` once the cause is fixed. */
  public readonly redeployDeadLetterQueue: sqs.Queue;
  /** The worker's subscription to `redeployQueue`. */
  public readonly redeployEventSource: eventSources.SqsEventSource;
  public readonly secretLabelUpdatedRule: events.Rule;
  public readonly parameterChangedRule: events.Rule;
  /** Present only with `cloudTrailFallback`. */
  public readonly cloudTrailSecretRule?: events.Rule;
  /** Events EventBridge could not deliver to a function. */
  public readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Invocation records of events a function failed on after Lambda's retries. */
  public readonly failedInvocationQueue: sqs.Queue;
  /** The scheduled audit; absent with `reconcile: 'off'`. */
  public readonly reconcile?: BundledFunction;
  /** The rule that runs `reconcile` on its schedule; absent with `reconcile: 'off'`. */
  public readonly reconcileScheduleRule?: events.Rule;
  public readonly monitoring: RedeployMonitoring;
  /** Follows the deployments the worker starts to their end and reports each change once it settles. */
  public readonly settleFunction: BundledFunction;
  /** Delayed looks at the deployments started and at each change's deadline. */
  public readonly settleQueue: sqs.Queue;
  /** Looks that failed every attempt. */
  public readonly settleDeadLetterQueue: sqs.Queue;
  /** ECS Deployment State Change events to the settle function. */
  public readonly deploymentStateRule: events.Rule;
  /** Where settled reports are published (`notifyOn`). */
  public readonly notifyTopic: sns.ITopic;
  public readonly rolloutMonitoring: RolloutMonitoring;

  constructor(scope: Construct, id: string, props: RotationRedeployProps = {}) {
    super(scope, id);
    const settings = settingsFromProps(props);
    this.deliveryDeadLetterQueue = createDeadLetterQueue(
      this,
      'DeliveryDeadLetterQueue',
      'This queue is the dead-letter queue of the EventBridge rule targets; cdk-nag only recognizes a dead-letter queue named in an SQS redrive policy. A queue behind a dead-letter queue would only move the same messages.',
    );
    this.failedInvocationQueue = createDeadLetterQueue(
      this,
      'FailedInvocationQueue',
      'This queue is the on-failure destination of the functions’ asynchronous invocations, a dead-letter queue in all but name; cdk-nag only recognizes one named in an SQS redrive policy. A queue behind it would only move the same messages.',
    );
    this.stateTable = createStateTable(this);
    const redeployQueue = createRedeployQueue(this, { maxReceiveCount: settings.maxReceiveCount });
    this.redeployQueue = redeployQueue.queue;
    this.redeployDeadLetterQueue = redeployQueue.deadLetterQueue;
    const settleQueue = createSettleQueue(this);
    this.settleQueue = settleQueue.queue;
    this.settleDeadLetterQueue = settleQueue.deadLetterQueue;
    this.notifyTopic = props.notifyTopic ?? createNotifyTopic(this, props.notifyEmail);

    const changeBuffer = createChangeBuffer(this, { maxReceiveCount: settings.maxReceiveCount });
    this.changeBuffer = changeBuffer.queue;
    this.changeBufferDeadLetterQueue = changeBuffer.deadLetterQueue;

    const shared = {
      settings,
      stateTable: this.stateTable,
      redeployQueue: this.redeployQueue,
      settleQueue: this.settleQueue,
      notifyTopic: this.notifyTopic,
      changeBuffer: this.changeBuffer,
      failedInvocationQueue: this.failedInvocationQueue,
      logRetention: props.logRetention,
      tracing: props.tracing,
    };
    const changeFunctions = createChangeFunctions(this, shared);
    this.secretChanged = changeFunctions.secretChanged;
    this.parameterChanged = changeFunctions.parameterChanged;
    this.changeFunctions = [this.secretChanged, this.parameterChanged];
    for (const fn of this.changeFunctions) {
      grantBuffering(fn, { ...shared, sourceAccounts: settings.sourceAccounts });
    }
    this.changeScanner = createChangeScanner(this, shared);
    this.changeBufferEventSource = subscribeScanner(this.changeBuffer, this.changeScanner, {
      batchSize: settings.changeBatchSize,
      batchingWindow: Duration.seconds(settings.changeBatchingWindowSeconds),
    });
    grantPlanning(this.changeScanner, { ...shared, codeDeploy: settings.codeDeploy });
    this.redeployWorker = createRedeployWorker(this, shared);
    this.redeployEventSource = subscribeWorker(this.redeployQueue, this.redeployWorker);
    grantRedeploying(this.redeployWorker, { ...shared, codeDeploy: settings.codeDeploy });
    this.settleFunction = createSettleFunction(this, shared);
    grantSettling(this.settleFunction, { ...shared, codeDeploy: settings.codeDeploy });
    const reconcile =
      settings.reconcile === null
        ? undefined
        : createReconcile(this, {
            ...shared,
            reconcile: settings.reconcile,
            deliveryDeadLetterQueue: this.deliveryDeadLetterQueue,
          });
    this.reconcile = reconcile?.function;
    this.reconcileScheduleRule = reconcile?.rule;
    this.functions = [
      ...this.changeFunctions,
      this.changeScanner,
      this.redeployWorker,
      this.settleFunction,
      ...(reconcile === undefined ? [] : [reconcile.function]),
    ];
    // Every function that may call ECS, with the processes it can run at once: a new one must be added here.
    // The change functions only read metadata and buffer the change (an event they ignore needs no call).
    assignEcsShares(settings.ecsShare, [
      { fn: this.changeScanner, concurrency: SCANNER_SETTINGS.maxConcurrency },
      { fn: this.redeployWorker, concurrency: WORKER_SETTINGS.maxConcurrency },
      { fn: this.settleFunction, concurrency: SETTLE_SETTINGS.maxConcurrency },
      ...(reconcile === undefined ? [] : [{ fn: reconcile.function, concurrency: RECONCILE_CONCURRENCY }]),
    ]);
    restrictSenders(this.redeployQueue, {
      roles: this.functions.map((fn) => fn.role),
      redriveRoleArns: props.redriveRoleArns,
    });
    // Only the change functions put changes in the buffer: a change there skips the rules' sourceAccounts filter.
    restrictSenders(
      this.changeBuffer,
      { roles: this.changeFunctions.map((fn) => fn.role), redriveRoleArns: props.redriveRoleArns },
      'OnlyTheChangeFunctionsBufferChanges',
    );

    const rules = createChangeRules(this, {
      secretChanged: this.secretChanged,
      parameterChanged: this.parameterChanged,
      deliveryDeadLetterQueue: this.deliveryDeadLetterQueue,
      cloudTrailFallback: settings.cloudTrailFallback,
      sourceAccounts: settings.sourceAccounts,
    });
    this.secretLabelUpdatedRule = rules.secretLabelUpdated;
    this.parameterChangedRule = rules.parameterChanged;
    this.cloudTrailSecretRule = rules.cloudTrailSecret;
    this.deploymentStateRule = createDeploymentStateRule(
      this,
      this.settleQueue,
      this.deliveryDeadLetterQueue,
    );

    this.monitoring = new RedeployMonitoring(this, 'Monitoring', {
      functions: this.changeFunctions,
      worker: this.redeployWorker,
      scanner: this.changeScanner,
      deadLetterQueues: [
        this.deliveryDeadLetterQueue,
        this.failedInvocationQueue,
        this.changeBufferDeadLetterQueue,
      ],
      redeployQueue: this.redeployQueue,
      redeployDeadLetterQueue: this.redeployDeadLetterQueue,
      reconcile:
        reconcile === undefined || settings.reconcile === null
          ? undefined
          : { function: reconcile.function, interval: settings.reconcile.schedule.interval },
      alarmEmail: props.alarmEmail,
      alarmTopic: props.alarmTopic,
    });
    this.rolloutMonitoring = addRolloutMonitoring(this.monitoring, {
      settleFunction: this.settleFunction,
      settleDeadLetterQueue: this.settleDeadLetterQueue,
    });
  }
}

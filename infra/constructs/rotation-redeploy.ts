/**
 * The reusable construct: EventBridge rules for secret and parameter changes, the change functions that find the
 * ECS services using them and queue one redeploy message per service, the worker that redeploys them, the
 * state table that makes each redeploy happen once per change, dead-letter queues that keep whatever could not
 * be handled, and the monitoring.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SelectionMode } from '../../functions/contract.ts';
import { DEFAULT_SETTINGS, MAX_CONCURRENCY } from '../../functions/wiring/settings.ts';
import { InvalidPropsError } from '../errors.ts';
import { BundledFunction } from './function-defaults.ts';
import { RedeployMonitoring } from './redeploy-monitoring.ts';

export type { SelectionMode };

/** Where `npm run build` writes the bundles: `<repo>/dist`. */
export const DEFAULT_BUNDLE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
);

/** Bundle names, as build.mjs lists them. */
export const BUNDLES = {
  secretChanged: 'secret-changed',
  parameterChanged: 'parameter-changed',
  redeployWorker: 'redeploy-worker',
} as const;

/** How the redeploy worker consumes the redeploy queue. */
export const WORKER_SETTINGS = {
  /** One batch of 10 UpdateService calls, paced at a share of `updatesPerSecond` and slowed by throttling. */
  timeout: Duration.minutes(2),
  /** The worker holds no scan: one SDK client and a batch of small messages. */
  memorySize: 256,
  /** SQS's largest batch without a batching window. */
  batchSize: 10,
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

/** Queued redeploy defaults. */
export const QUEUE_DEFAULTS = {
  /** UpdateService calls per second for the whole stack: the account's bucket refills 5, CI/CD shares it. */
  updatesPerSecond: DEFAULT_SETTINGS.updatesPerSecond,
  maxUpdatesPerSecond: 5,
  coalesceWindow: Duration.seconds(DEFAULT_SETTINGS.coalesceSeconds),
  /** SQS delays a message at most 15 minutes. */
  maxCoalesceWindow: Duration.minutes(15),
  /** Receives of one message before the dead-letter queue (the worker backs off between them). */
  maxReceiveCount: 5,
} as const;

export const SERVICE_NAME = 'rotation-redeploy';

/** The CloudTrail events after which AWSCURRENT may point at a new value (the handler makes the final call). */
export const CLOUDTRAIL_SECRET_EVENT_NAMES = [
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotationSucceeded',
] as const;

export interface RotationRedeployProps {
  /**
   * Directory with one `<name>/index.mjs` bundle per function, as written by `npm run build`.
   * Synthesis fails, naming `npm run build`, when a bundle is missing.
   * @default - `dist/` at the root of this repository
   */
  readonly bundleDir?: string;
  /**
   * Plan and report only: never call `ecs:UpdateService`.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * `all`: consider every service of every cluster; `tagged`: only services tagged `rotation-redeploy=on`.
   * @default 'all'
   */
  readonly selectionMode?: SelectionMode;
  /**
   * Task definition reads and redeploys each run keeps in flight at once (1 to 50).
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Also react to Secrets Manager changes seen through CloudTrail (`PutSecretValue`, `UpdateSecret`,
   * `UpdateSecretVersionStage`, `RotationSucceeded`). Needs a trail with management events in the
   * account; useful where the native `Secret Label Updated` events are not delivered.
   * @default false
   */
  readonly cloudTrailFallback?: boolean;
  /**
   * E-mail address subscribed to the alarm topic this construct creates. Cannot be combined with `alarmTopic`.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * An existing topic the alarms notify instead of a new one.
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * How long the functions' log groups keep reports.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Runs of each change function at once. Every run scans the account, so more runs mean more ECS API
   * pressure; events beyond it wait in Lambda's asynchronous queue. The redeploy worker reserves none: its
   * event source runs at most 2 at once.
   * @default 2
   */
  readonly reservedConcurrency?: number;
  /**
   * Active X-Ray tracing for the functions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * `UpdateService` calls per second the whole stack makes at most: above 0, at most 5 (the account's bucket
   * refills 5 a second and is shared with deployments from CI/CD). Each of the worker's at most 2 concurrent
   * instances gets half.
   * @default 2
   */
  readonly updatesPerSecond?: number;
  /**
   * How long a queued redeploy waits before the worker acts, so that further changes to the same service
   * (its username and its password rotated together) ride on one deployment. Whole seconds, from 0 to 15
   * minutes (the longest delay SQS gives a message).
   * @default Duration.seconds(60)
   */
  readonly coalesceWindow?: Duration;
  /**
   * Receives of a redeploy message (its first attempt and the retries, which back off) before SQS moves it
   * to the redeploy dead-letter queue, from 1 to 1000. The worker reports the service failed on the last one.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

export class RotationRedeploy extends Construct {
  /** Handles Secrets Manager events (native and, if enabled, CloudTrail). */
  public readonly secretChanged: BundledFunction;
  /** Handles SSM Parameter Store events. */
  public readonly parameterChanged: BundledFunction;
  /** The functions EventBridge invokes: they find the services to redeploy and queue them. */
  public readonly changeFunctions: readonly BundledFunction[];
  /** Consumes the redeploy queue: the only function that calls `ecs:UpdateService`. */
  public readonly redeployWorker: BundledFunction;
  /** Every function this construct deploys. */
  public readonly functions: readonly BundledFunction[];
  /**
   * Task definition references, once-per-change (Powertools Idempotency) records, pending and done redeploys.
   * Kept when the stack is deleted or the table replaced: see `createStateTable`.
   */
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
  public readonly monitoring: RedeployMonitoring;

  constructor(scope: Construct, id: string, props: RotationRedeployProps = {}) {
    super(scope, id);
    const concurrency = props.concurrency ?? DEFAULT_SETTINGS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new InvalidPropsError(
        `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`,
      );
    }
    const reserved = props.reservedConcurrency;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      // 0 would throttle every event: nothing would ever be redeployed.
      throw new InvalidPropsError(
        `reservedConcurrency must be a whole number of at least 1, got ${reserved}`,
      );
    }
    if (props.alarmEmail !== undefined && props.alarmTopic !== undefined) {
      throw new InvalidPropsError(
        'Give either alarmEmail (subscribed to a new topic) or alarmTopic (an existing topic), not both',
      );
    }
    const updatesPerSecond = props.updatesPerSecond ?? QUEUE_DEFAULTS.updatesPerSecond;
    if (
      !Number.isFinite(updatesPerSecond) ||
      updatesPerSecond <= 0 ||
      updatesPerSecond > QUEUE_DEFAULTS.maxUpdatesPerSecond
    ) {
      throw new InvalidPropsError(
        `updatesPerSecond must be a number above 0 and at most ${QUEUE_DEFAULTS.maxUpdatesPerSecond} (the account's UpdateService refill rate), got ${updatesPerSecond}`,
      );
    }
    const coalesceSeconds = wholeSecondsOf(props.coalesceWindow ?? QUEUE_DEFAULTS.coalesceWindow);
    const maxCoalesceSeconds = QUEUE_DEFAULTS.maxCoalesceWindow.toSeconds();
    if (coalesceSeconds === undefined || coalesceSeconds < 0 || coalesceSeconds > maxCoalesceSeconds) {
      throw new InvalidPropsError(
        `coalesceWindow must be whole seconds from 0 to ${maxCoalesceSeconds} (the longest SQS message delay), got ${props.coalesceWindow?.toHumanString()}`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new InvalidPropsError(
        `maxReceiveCount must be a whole number from 1 to 1000 (what SQS accepts), got ${maxReceiveCount}`,
      );
    }
    const bundleDir = props.bundleDir ?? DEFAULT_BUNDLE_DIR;
    const observability = {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: RedeployMonitoring.METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };

    this.deliveryDeadLetterQueue = this.deadLetterQueue(
      'DeliveryDeadLetterQueue',
      'This queue is the dead-letter queue of the EventBridge rule targets; cdk-nag only recognizes a dead-letter queue named in an SQS redrive policy. A queue behind a dead-letter queue would only move the same messages.',
    );
    this.failedInvocationQueue = this.deadLetterQueue(
      'FailedInvocationQueue',
      'This queue is the on-failure destination of the functions’ asynchronous invocations, a dead-letter queue in all but name; cdk-nag only recognizes one named in an SQS redrive policy. A queue behind it would only move the same messages.',
    );

    this.stateTable = this.createStateTable();
    const workerTimeout = WORKER_SETTINGS.timeout;
    const visibilityTimeout = Duration.seconds(
      workerTimeout.toSeconds() * WORKER_SETTINGS.visibilityTimeoutFactor,
    );
    this.redeployDeadLetterQueue = new sqs.Queue(this, 'RedeployDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Any queue of this account and Region may name it as its dead-letter queue, the redeploy queue
      // included. Naming only the redeploy queue (byQueue) would make each queue refer to the other: a
      // circular dependency CloudFormation refuses.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    this.redeployQueue = new sqs.Queue(this, 'RedeployQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      // A message that failed every attempt moves here; operators move it back with a dead-letter queue
      // redrive (the console's "Start DLQ redrive", or StartMessageMoveTask without a DestinationArn), and
      // the worker then redeploys the service once for the changes it carries.
      deadLetterQueue: { queue: this.redeployDeadLetterQueue, maxReceiveCount },
    });

    const common = {
      bundleDir,
      environment: {
        DRY_RUN: String(props.dryRun ?? DEFAULT_SETTINGS.dryRun),
        SELECTION_MODE: props.selectionMode ?? DEFAULT_SETTINGS.selection,
        CONCURRENCY: String(concurrency),
        // With QUEUE_URL set the change functions never call UpdateService: they queue one message per service.
        TABLE_NAME: this.stateTable.tableName,
        QUEUE_URL: this.redeployQueue.queueUrl,
        COALESCE_SECONDS: String(coalesceSeconds),
        ...observability,
      },
      onFailure: new destinations.SqsDestination(this.failedInvocationQueue),
      logRetention: props.logRetention,
      reservedConcurrency: props.reservedConcurrency,
      tracing: props.tracing,
    };
    this.secretChanged = new BundledFunction(this, 'SecretChanged', {
      ...common,
      bundleName: BUNDLES.secretChanged,
      description:
        'Finds the ECS services whose tasks read a Secrets Manager secret that changed and queues their redeploys',
    });
    this.parameterChanged = new BundledFunction(this, 'ParameterChanged', {
      ...common,
      bundleName: BUNDLES.parameterChanged,
      description:
        'Finds the ECS services whose tasks read an SSM parameter that changed and queues their redeploys',
    });
    this.changeFunctions = [this.secretChanged, this.parameterChanged];
    for (const fn of this.changeFunctions) this.addPlanPermissions(fn);

    this.redeployWorker = new BundledFunction(this, 'RedeployWorker', {
      bundleDir,
      bundleName: BUNDLES.redeployWorker,
      description: 'Redeploys the ECS services queued by the change functions, once per change and paced',
      environment: {
        // A dry-run stack queues nothing, but a message redriven from the dead-letter queue must not deploy either.
        DRY_RUN: String(props.dryRun ?? DEFAULT_SETTINGS.dryRun),
        QUEUE_URL: this.redeployQueue.queueUrl,
        TABLE_NAME: this.stateTable.tableName,
        // Its share of the stack's rate: at most maxConcurrency instances run, each pacing itself.
        UPDATES_PER_SECOND: String(updatesPerSecond / WORKER_SETTINGS.maxConcurrency),
        // The queue's own settings: the worker reports a service failed on the last receive, and holds a
        // service for as long as its message stays invisible.
        MAX_RECEIVE_COUNT: String(maxReceiveCount),
        VISIBILITY_TIMEOUT_SECONDS: String(visibilityTimeout.toSeconds()),
        ...observability,
      },
      logRetention: props.logRetention,
      tracing: props.tracing,
      timeout: workerTimeout,
      memorySize: WORKER_SETTINGS.memorySize,
      // No reserved concurrency: the event source's maxConcurrency already bounds the worker. A reservation
      // below it would make Lambda throttle batches the event source hands over, and each throttled receive
      // counts toward maxReceiveCount, sending healthy messages to the dead-letter queue; one at or above it
      // would bound nothing more and only take capacity from the account's unreserved pool.
      reservedConcurrency: null,
      // Only the SQS event source invokes it: failed messages retry through the queue, not Lambda's async queue.
      invokedAsynchronously: false,
    });
    this.redeployEventSource = new eventSources.SqsEventSource(this.redeployQueue, {
      batchSize: WORKER_SETTINGS.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: WORKER_SETTINGS.maxConcurrency,
    });
    this.redeployWorker.function.addEventSource(this.redeployEventSource);
    // Lambda checks that the role may receive from the queue when the mapping is created, and the grant lands
    // in the role's default policy, which CDK only orders before the function itself: order it before the
    // mapping too, or the first deployment can fail on a race.
    for (const child of this.redeployWorker.function.node.children) {
      if (child instanceof lambda.EventSourceMapping) child.node.addDependency(this.redeployWorker.role);
    }
    this.addRedeployPermissions(this.redeployWorker);
    this.functions = [...this.changeFunctions, this.redeployWorker];

    this.secretLabelUpdatedRule = new events.Rule(this, 'SecretLabelUpdatedRule', {
      description: 'Secrets Manager moved a staging label (every label: the function decides which matter)',
      eventPattern: { source: ['aws.secretsmanager'], detailType: ['Secret Label Updated'] },
      targets: [this.target(this.secretChanged)],
    });
    this.parameterChangedRule = new events.Rule(this, 'ParameterChangedRule', {
      description: 'An SSM parameter was created or got a new value',
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['Parameter Store Change'],
        detail: { operation: ['Create', 'Update'] },
      },
      targets: [this.target(this.parameterChanged)],
    });
    if (props.cloudTrailFallback) {
      // No filter on responseElements: the service events (RotationSucceeded) carry none, and the
      // API-call events spell the ARN key two ways. The function finds the secret and decides.
      this.cloudTrailSecretRule = new events.Rule(this, 'CloudTrailSecretChangeRule', {
        description: 'Secrets Manager value changes recorded by CloudTrail (fallback for the native events)',
        eventPattern: {
          source: ['aws.secretsmanager'],
          detailType: ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: [...CLOUDTRAIL_SECRET_EVENT_NAMES],
          },
        },
        targets: [this.target(this.secretChanged)],
      });
    }

    this.monitoring = new RedeployMonitoring(this, 'Monitoring', {
      functions: this.changeFunctions,
      worker: this.redeployWorker,
      deadLetterQueues: [this.deliveryDeadLetterQueue, this.failedInvocationQueue],
      redeployQueue: this.redeployQueue,
      redeployDeadLetterQueue: this.redeployDeadLetterQueue,
      alarmEmail: props.alarmEmail,
      alarmTopic: props.alarmTopic,
    });
  }

  /**
   * Gives a change function what planning needs, as one inline policy of its own: list clusters and services,
   * describe services and task definitions, find tagged services, read the metadata (never the value) of the
   * changed secret or parameter, keep its state in the table, and queue redeploys. No `ecs:UpdateService`:
   * with the queue set, only the worker redeploys.
   */
  public addPlanPermissions(fn: BundledFunction): iam.Policy {
    const stack = Stack.of(this);
    const clusterArns = stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: '*' });
    const serviceArns = stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*/*' });
    const anySecret = stack.formatArn({
      service: 'secretsmanager',
      region: '*',
      account: '*',
      resource: 'secret',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const policy = new iam.Policy(fn, 'PlanPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'DiscoverClustersTaskDefinitionsAndTaggedServices',
          actions: ['ecs:ListClusters', 'ecs:DescribeTaskDefinition', 'tag:GetResources'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ListServicesOfThisAccountAndRegion',
          actions: ['ecs:ListServices'],
          resources: ['*'],
          conditions: { ArnLike: { 'ecs:cluster': clusterArns } },
        }),
        new iam.PolicyStatement({
          sid: 'DescribeServicesOfThisAccountAndRegion',
          actions: ['ecs:DescribeServices'],
          resources: [serviceArns],
        }),
        new iam.PolicyStatement({
          sid: 'ReadWhichVersionASecretLabelPointsTo',
          actions: ['secretsmanager:DescribeSecret'],
          resources: [anySecret],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTheVersionOfAParameter',
          actions: ['ssm:DescribeParameters'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'KeepTaskDefinitionsAndHandledChangesInTheStateTable',
          actions: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
          ],
          resources: [this.stateTable.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'QueueRedeploys',
          actions: ['sqs:SendMessage'],
          resources: [this.redeployQueue.queueArn],
        }),
      ],
    });
    policy.attachToRole(fn.role);
    fn.function.node.addDependency(policy);
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecs:ListClusters, ecs:DescribeTaskDefinition, tag:GetResources and ssm:DescribeParameters support no resource-level permissions, so "*" is the only resource IAM accepts (ssm:DescribeParameters returns metadata and a version number, never a value); ecs:ListServices neither, and is narrowed instead by the ecs:cluster condition to clusters of this account and Region.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
        reason:
          'The function describes whichever services run in any cluster, and cannot know them at deploy time; the ARN pins account and Region.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:*:secret:*]',
        reason:
          'Events forwarded from other accounts and Regions name secrets there, and the changed secret is known only from the event. secretsmanager:DescribeSecret returns metadata (which version each label points to), never the value, and another account answers only where its secret’s resource policy allows this role.',
      },
    );
    return policy;
  }

  /**
   * Gives the worker what a queued redeploy needs, as one inline policy of its own: force new deployments of
   * this account's services, and claim, release and complete the service's pending item in the state table
   * (TransactWriteItems is authorized by the PutItem and UpdateItem of its items). Receiving, deleting and
   * delaying (ChangeMessageVisibility) its messages comes with the SQS event source.
   */
  public addRedeployPermissions(fn: BundledFunction): iam.Policy {
    const stack = Stack.of(this);
    const serviceArns = stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*/*' });
    const policy = new iam.Policy(fn, 'RedeployPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'RedeployServicesOfThisAccountAndRegion',
          actions: ['ecs:UpdateService'],
          resources: [serviceArns],
        }),
        new iam.PolicyStatement({
          sid: 'ClaimAndCompletePendingRedeploys',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [this.stateTable.tableArn],
        }),
      ],
    });
    policy.attachToRole(fn.role);
    fn.function.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
      reason:
        'The worker redeploys whichever service uses a changed secret, in any cluster, and cannot know them at deploy time; the ARN pins account and Region.',
    });
    return policy;
  }

  /**
   * On-demand, point-in-time recovery, encrypted with the AWS managed key (no key policy to manage; callers
   * need no kms permission). Retained on stack deletion and replacement: it holds the idempotency records that
   * stop a repeated or redriven change from redeploying again, and the pending redeploys still queued; a new
   * empty table would redeploy every service for an event delivered again within the day.
   */
  private createStateTable(): dynamodb.Table {
    return new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private deadLetterQueue(id: string, whyNoQueueBehind: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: whyNoQueueBehind });
    return queue;
  }

  private target(fn: BundledFunction): targets.LambdaFunction {
    return new targets.LambdaFunction(fn.function, {
      deadLetterQueue: this.deliveryDeadLetterQueue,
      // EventBridge's maxima, stated so a review need not look them up.
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  }
}

/** A duration as whole seconds, or undefined when it is not a whole number of seconds. */
function wholeSecondsOf(duration: Duration): number | undefined {
  const seconds = duration.toMilliseconds({ integral: false }) / 1000;
  return Number.isInteger(seconds) ? seconds : undefined;
}

/**
 * The reusable construct: EventBridge rules for secret and parameter changes, the functions that redeploy the
 * ECS services using them, dead-letter queues that keep whatever could not be handled, and the monitoring.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SETTINGS, MAX_CONCURRENCY, type SelectionMode } from '../../functions/config.ts';
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
export const BUNDLES = { secretChanged: 'secret-changed', parameterChanged: 'parameter-changed' } as const;

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
   * Runs of each function at once. Every run scans the account, so more runs mean more ECS API pressure;
   * events beyond it wait in Lambda's asynchronous queue.
   * @default 2
   */
  readonly reservedConcurrency?: number;
  /**
   * Active X-Ray tracing for the functions.
   * @default false
   */
  readonly tracing?: boolean;
}

export class RotationRedeploy extends Construct {
  /** Handles Secrets Manager events (native and, if enabled, CloudTrail). */
  public readonly secretChanged: BundledFunction;
  /** Handles SSM Parameter Store events. */
  public readonly parameterChanged: BundledFunction;
  /** Every function this construct deploys. */
  public readonly functions: readonly BundledFunction[];
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

    this.deliveryDeadLetterQueue = this.deadLetterQueue(
      'DeliveryDeadLetterQueue',
      'This queue is the dead-letter queue of the EventBridge rule targets; cdk-nag only recognizes a dead-letter queue named in an SQS redrive policy. A queue behind a dead-letter queue would only move the same messages.',
    );
    this.failedInvocationQueue = this.deadLetterQueue(
      'FailedInvocationQueue',
      'This queue is the on-failure destination of the functions’ asynchronous invocations, a dead-letter queue in all but name; cdk-nag only recognizes one named in an SQS redrive policy. A queue behind it would only move the same messages.',
    );

    const common = {
      bundleDir: props.bundleDir ?? DEFAULT_BUNDLE_DIR,
      environment: {
        DRY_RUN: String(props.dryRun ?? DEFAULT_SETTINGS.dryRun),
        SELECTION_MODE: props.selectionMode ?? DEFAULT_SETTINGS.selection,
        CONCURRENCY: String(concurrency),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: RedeployMonitoring.METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      onFailure: new destinations.SqsDestination(this.failedInvocationQueue),
      logRetention: props.logRetention,
      reservedConcurrency: props.reservedConcurrency,
      tracing: props.tracing,
    };
    this.secretChanged = new BundledFunction(this, 'SecretChanged', {
      ...common,
      bundleName: BUNDLES.secretChanged,
      description: 'Redeploys the ECS services whose tasks read a Secrets Manager secret that changed',
    });
    this.parameterChanged = new BundledFunction(this, 'ParameterChanged', {
      ...common,
      bundleName: BUNDLES.parameterChanged,
      description: 'Redeploys the ECS services whose tasks read an SSM parameter that changed',
    });
    this.functions = [this.secretChanged, this.parameterChanged];
    for (const fn of this.functions) this.addRedeployPermissions(fn);

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
      functions: this.functions,
      deadLetterQueues: [this.deliveryDeadLetterQueue, this.failedInvocationQueue],
      alarmEmail: props.alarmEmail,
      alarmTopic: props.alarmTopic,
    });
  }

  /**
   * Gives a function what a scan and a redeploy need, as one inline policy of its own: list clusters and
   * services, describe services and task definitions, find tagged services, and force new deployments.
   * Never a secret value, a parameter value or a decryption.
   */
  public addRedeployPermissions(fn: BundledFunction): iam.Policy {
    const stack = Stack.of(this);
    const clusterArns = stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: '*' });
    const serviceArns = stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*/*' });
    const policy = new iam.Policy(fn, 'RedeployPolicy', {
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
          sid: 'DescribeAndRedeployServicesOfThisAccountAndRegion',
          actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
          resources: [serviceArns],
        }),
      ],
    });
    policy.attachToRole(fn.role);
    fn.function.node.addDependency(policy);
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecs:ListClusters, ecs:DescribeTaskDefinition and tag:GetResources support no resource-level permissions, so "*" is the only resource IAM accepts; ecs:ListServices neither, and is narrowed instead by the ecs:cluster condition to clusters of this account and Region.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]`,
        reason:
          'The function redeploys whichever service uses a changed secret, in any cluster, and cannot know them at deploy time; the ARN pins account and Region.',
      },
    );
    return policy;
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

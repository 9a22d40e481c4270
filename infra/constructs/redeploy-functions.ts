/** The app's three functions, each with the settings it reads under the contract's ENV names. */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLES, ENV } from '../../functions/contract.ts';
import { BundledFunction, type BundledFunctionProps } from './bundled-function.ts';
import { REDEPLOY_VISIBILITY_TIMEOUT, WORKER_SETTINGS } from './redeploy-queue.ts';
import { followingEnvironment } from './rollout-settling.ts';
import type { RotationRedeploySettings } from './rotation-redeploy-props.ts';

export interface RedeployFunctionsProps {
  readonly settings: RotationRedeploySettings;
  readonly stateTable: dynamodb.ITable;
  readonly redeployQueue: sqs.IQueue;
  /** The settle queue: the changes queued and the deployments started are followed to their end there. */
  readonly settleQueue: sqs.IQueue;
  /** Where Lambda sends a change event a change function failed on after its retries. */
  readonly failedInvocationQueue: sqs.IQueue;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: BundledFunctionProps['logRetention'];
  /**
   * @default false
   */
  readonly tracing?: boolean;
}

export interface ChangeFunctions {
  readonly secretChanged: BundledFunction;
  readonly parameterChanged: BundledFunction;
}

/**
 * The functions EventBridge invokes, created in `scope` as `SecretChanged` and `ParameterChanged`: they find
 * the services using the changed item and queue one redeploy each. Given the queue's URL they never call
 * UpdateService.
 */
export function createChangeFunctions(scope: Construct, props: RedeployFunctionsProps): ChangeFunctions {
  const { settings } = props;
  const common = {
    bundleDir: settings.bundleDir,
    environment: {
      [ENV.dryRun]: String(settings.dryRun),
      [ENV.selectionMode]: settings.selectionMode,
      [ENV.concurrency]: String(settings.concurrency),
      [ENV.tableName]: props.stateTable.tableName,
      [ENV.queueUrl]: props.redeployQueue.queueUrl,
      [ENV.coalesceSeconds]: String(settings.coalesceSeconds),
      // Off: CODE_DEPLOY services are skipped (reason `deployment-controller`, saying CodeDeploy is off), and
      // no function gets a CodeDeploy permission.
      [ENV.codeDeploy]: String(settings.codeDeploy),
      // To report a service the flap guard holds back as deferred.
      [ENV.maxRedeploysPerHour]: String(settings.maxRedeploysPerHour),
      ...followingEnvironment(props.settleQueue, settings),
    },
    onFailure: new destinations.SqsDestination(props.failedInvocationQueue),
    logRetention: props.logRetention,
    reservedConcurrency: settings.reservedConcurrency,
    tracing: props.tracing,
  };
  return {
    secretChanged: new BundledFunction(scope, 'SecretChanged', {
      ...common,
      bundleName: BUNDLES.secretChanged,
      description:
        'Finds the ECS services whose tasks read a Secrets Manager secret that changed and queues their redeploys',
    }),
    parameterChanged: new BundledFunction(scope, 'ParameterChanged', {
      ...common,
      bundleName: BUNDLES.parameterChanged,
      description:
        'Finds the ECS services whose tasks read an SSM parameter that changed and queues their redeploys',
    }),
  };
}

/** The function the redeploy queue invokes, created in `scope` as `RedeployWorker`: the only one that redeploys. */
export function createRedeployWorker(scope: Construct, props: RedeployFunctionsProps): BundledFunction {
  const { settings } = props;
  return new BundledFunction(scope, 'RedeployWorker', {
    bundleDir: settings.bundleDir,
    bundleName: BUNDLES.redeployWorker,
    description: 'Redeploys the ECS services queued by the change functions, once per change and paced',
    environment: {
      // A dry-run stack queues nothing, but a message redriven from the dead-letter queue must not deploy either.
      [ENV.dryRun]: String(settings.dryRun),
      [ENV.queueUrl]: props.redeployQueue.queueUrl,
      [ENV.tableName]: props.stateTable.tableName,
      // A message naming a deployment group is refused when CodeDeploy is off (it has no permission to use it).
      [ENV.codeDeploy]: String(settings.codeDeploy),
      // Its share of the stack's rate: at most maxConcurrency instances run, each pacing itself.
      [ENV.updatesPerSecond]: String(settings.updatesPerSecond / WORKER_SETTINGS.maxConcurrency),
      // The queue's own settings: the worker reports a service failed on the last receive, and holds a
      // service for as long as its message stays invisible.
      [ENV.maxReceiveCount]: String(settings.maxReceiveCount),
      [ENV.visibilityTimeoutSeconds]: String(REDEPLOY_VISIBILITY_TIMEOUT.toSeconds()),
      // The flap guard: the worker holds a service back past this many forced deployments in an hour.
      [ENV.maxRedeploysPerHour]: String(settings.maxRedeploysPerHour),
      ...followingEnvironment(props.settleQueue, settings),
    },
    logRetention: props.logRetention,
    tracing: props.tracing,
    timeout: WORKER_SETTINGS.timeout,
    memorySize: WORKER_SETTINGS.memorySize,
    // No reserved concurrency: the event source's maxConcurrency already bounds the worker. A reservation
    // below it would make Lambda throttle batches the event source hands over, and each throttled receive
    // counts toward maxReceiveCount, sending healthy messages to the dead-letter queue; one at or above it
    // would bound nothing more and only take capacity from the account's unreserved pool.
    reservedConcurrency: null,
    // Only the SQS event source invokes it: failed messages retry through the queue, not Lambda's async queue.
    invokedAsynchronously: false,
  });
}

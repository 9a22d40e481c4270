/** The app's four functions, each with the settings it reads under the contract's ENV names. */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLES, ENV } from '../../functions/contract.ts';
import { BundledFunction, type BundledFunctionProps } from './bundled-function.ts';
import { SCANNER_SETTINGS } from './change-buffer.ts';
import { REDEPLOY_VISIBILITY_TIMEOUT, WORKER_SETTINGS } from './redeploy-queue.ts';
import { followingEnvironment } from './rollout-settling.ts';
import type { RotationRedeploySettings } from './rotation-redeploy-props.ts';

export interface RedeployFunctionsProps {
  readonly settings: RotationRedeploySettings;
  readonly stateTable: dynamodb.ITable;
  readonly redeployQueue: sqs.IQueue;
  /** The settle queue: the changes queued and the deployments started are followed to their end there. */
  readonly settleQueue: sqs.IQueue;
  /** Where the change functions put each change, for the change scanner. */
  readonly changeBuffer: sqs.IQueue;
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
 * The functions EventBridge invokes, created in `scope` as `SecretChanged` and `ParameterChanged`: they refuse
 * what they cannot handle, read the changed item's metadata and put the change in the change buffer. They
 * neither scan nor redeploy.
 */
export function createChangeFunctions(scope: Construct, props: RedeployFunctionsProps): ChangeFunctions {
  const { settings } = props;
  const common = {
    bundleDir: settings.bundleDir,
    environment: { [ENV.changesQueueUrl]: props.changeBuffer.queueUrl },
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
        'Reads which version a changed Secrets Manager secret points to and hands the change to the change scanner',
    }),
    parameterChanged: new BundledFunction(scope, 'ParameterChanged', {
      ...common,
      bundleName: BUNDLES.parameterChanged,
      description: 'Reads the version of a changed SSM parameter and hands the change to the change scanner',
    }),
  };
}

/**
 * The function the change buffer invokes, created in `scope` as `ChangeScanner`: one scan for each batch of
 * changes, one queued redeploy per service and change (never UpdateService itself).
 */
export function createChangeScanner(scope: Construct, props: RedeployFunctionsProps): BundledFunction {
  const { settings } = props;
  return new BundledFunction(scope, 'ChangeScanner', {
    bundleDir: settings.bundleDir,
    bundleName: BUNDLES.changeScanner,
    description:
      'Finds the ECS services whose tasks read any of a batch of changed secrets and parameters, with one scan, and queues their redeploys',
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
    logRetention: props.logRetention,
    tracing: props.tracing,
    timeout: SCANNER_SETTINGS.timeout,
    // No reserved concurrency: the event source's maxConcurrency bounds it (a reservation below it would
    // throttle batches, and each throttled receive counts toward maxReceiveCount).
    reservedConcurrency: null,
    invokedAsynchronously: false,
  });
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

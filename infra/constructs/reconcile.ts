/**
 * The scheduled reconcile: a function that runs the audit of every service, and the EventBridge rule that
 * invokes it on the schedule. Created in the caller's scope, like every part of the construct.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLES, ENV } from '../../functions/contract.ts';
import { BundledFunction, type BundledFunctionProps } from './bundled-function.ts';
import { grantReconciling } from './permissions.ts';
import { followingEnvironment } from './rollout-settling.ts';
import type { ReconcileSettings, RotationRedeploySettings } from './rotation-redeploy-props.ts';

/** One run at a time: two would scan the same account twice for the same answer. */
export const RECONCILE_CONCURRENCY = 1;

export interface ReconcileProps {
  readonly settings: RotationRedeploySettings;
  readonly reconcile: ReconcileSettings;
  readonly stateTable: dynamodb.ITable;
  readonly redeployQueue: sqs.IQueue;
  /** Where Lambda sends a scheduled event the function failed on after its retries. */
  readonly failedInvocationQueue: sqs.IQueue;
  /** Where EventBridge puts a scheduled event it could not deliver. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** The settle queue: in `fix` mode each change the reconcile queues is watched there until it settles. */
  readonly settleQueue: sqs.IQueue;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: BundledFunctionProps['logRetention'];
  /**
   * @default false
   */
  readonly tracing?: boolean;
}

export interface Reconcile {
  readonly function: BundledFunction;
  readonly rule: events.Rule;
}

/** `Reconcile` (the function) and `ReconcileScheduleRule`, in `scope`. */
export function createReconcile(scope: Construct, props: ReconcileProps): Reconcile {
  const { settings, reconcile } = props;
  const fix = reconcile.mode === 'fix';
  const fn = new BundledFunction(scope, 'Reconcile', {
    bundleDir: settings.bundleDir,
    bundleName: BUNDLES.reconcile,
    description: fix
      ? 'Finds the ECS services deployed before a value they read became current and queues their redeploys'
      : 'Finds the ECS services deployed before a value they read became current and reports them',
    environment: {
      [ENV.reconcileMode]: reconcile.mode,
      [ENV.readsPerSecond]: String(reconcile.readsPerSecond),
      [ENV.selectionMode]: settings.selectionMode,
      [ENV.concurrency]: String(settings.concurrency),
      [ENV.tableName]: props.stateTable.tableName,
      // Only `fix` sends anything: a reporting reconcile is given no queue, and no permission to send to it.
      ...(fix
        ? {
            [ENV.queueUrl]: props.redeployQueue.queueUrl,
            [ENV.coalesceSeconds]: String(settings.coalesceSeconds),
            // As the change functions: each queued service expected in its change's ledger, so the settle
            // function reports the change once every service of it has ended.
            ...followingEnvironment(props.settleQueue, settings),
          }
        : {}),
      // The audit leaves CODE_DEPLOY services to their skip rule (deployment-controller) whatever the stack's
      // codeDeploy says: off, it builds no CodeDeploy client it would never call, and needs no CodeDeploy grant.
      [ENV.codeDeploy]: 'false',
    },
    onFailure: new destinations.SqsDestination(props.failedInvocationQueue),
    logRetention: props.logRetention,
    reservedConcurrency: RECONCILE_CONCURRENCY,
    tracing: props.tracing,
  });
  grantReconciling(fn, {
    stateTable: props.stateTable,
    redeployQueue: fix ? props.redeployQueue : undefined,
    settleQueue: fix ? props.settleQueue : undefined,
    tagged: settings.selectionMode === 'tagged',
    sourceAccounts: settings.sourceAccounts,
  });
  const rule = new events.Rule(scope, 'ReconcileScheduleRule', {
    description: `Runs the reconcile (${reconcile.mode}): ${reconcile.schedule.expression}`,
    schedule: events.Schedule.expression(reconcile.schedule.expression),
    targets: [
      new targets.LambdaFunction(fn.function, {
        deadLetterQueue: props.deliveryDeadLetterQueue,
        // EventBridge's maxima, as for the change rules: a run that starts late still finds what is stale.
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    ],
  });
  return { function: fn, rule };
}

/**
 * The props of the RotationRedeploy construct, and their check: every number against its range in the one
 * table of limits the functions' settings, the CLI and the CDK context use too.
 */
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { RECONCILE_MODES, type ReconcileMode, type SelectionMode } from '../../functions/contract.ts';
import { isAccountId } from '../../functions/core/arn.ts';
import { NOTIFY_ON, type NotifyOn } from '../../functions/core/settled-report.ts';
import { DEFAULTS, describeLimit, isWithin, LIMITS, type Limit } from '../../functions/wiring/limits.ts';
import { InvalidPropsError } from '../errors.ts';
import { DEFAULT_BUNDLE_DIR } from './bundled-function.ts';
import { parseReconcileSchedule, type ReconcileSchedule } from './reconcile-schedule.ts';

export interface RotationRedeployProps {
  /**
   * Directory with one `<name>/index.mjs` bundle per function, as written by `npm run build`.
   * Synthesis fails, naming `npm run build`, when a bundle is missing.
   * @default - `dist/` at the root of this repository
   */
  readonly bundleDir?: string;
  /**
   * Plan and report only: never call `ecs:UpdateService`.
   * @default - `DEFAULTS.dryRun` (false)
   */
  readonly dryRun?: boolean;
  /**
   * `all`: consider every service of every cluster; `tagged`: only services whose `OPT_TAG_KEY` tag is `on`.
   * @default - `DEFAULTS.selectionMode` ('all')
   */
  readonly selectionMode?: SelectionMode;
  /**
   * Task definition reads and redeploys each run keeps in flight at once, within `LIMITS.concurrency`.
   * @default - `LIMITS.concurrency.default`
   */
  readonly concurrency?: number;
  /**
   * Also react to Secrets Manager changes seen through CloudTrail (the contract's
   * `CLOUDTRAIL_SECRET_EVENT_NAMES`). Needs a trail with management events in the account; useful where
   * the native `Secret Label Updated` events are not delivered.
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
   * Runs of each change function at once, within `LIMITS.reservedConcurrency`. Every run scans the account,
   * so more runs mean more ECS API pressure; events beyond it wait in Lambda's asynchronous queue. The
   * redeploy worker reserves none: its event source bounds it (`WORKER_SETTINGS.maxConcurrency`).
   * @default - `LIMITS.reservedConcurrency.default`
   */
  readonly reservedConcurrency?: number;
  /**
   * Active X-Ray tracing for the functions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * `UpdateService` calls per second the whole stack makes at most, within `LIMITS.updatesPerSecond` (the
   * account's bucket refills at its maximum and is shared with deployments from CI/CD). Each of the worker's
   * concurrent instances gets an equal share.
   * @default - `LIMITS.updatesPerSecond.default`
   */
  readonly updatesPerSecond?: number;
  /**
   * How long a queued redeploy waits before the worker acts, so that further changes to the same service
   * (its username and its password rotated together) ride on one deployment. Whole seconds, within
   * `LIMITS.coalesceSeconds` (the longest delay SQS gives a message).
   * @default - `LIMITS.coalesceSeconds.default` seconds
   */
  readonly coalesceWindow?: Duration;
  /**
   * Receives of a redeploy message (its first attempt and the retries, which back off) before SQS moves it
   * to the redeploy dead-letter queue, within `LIMITS.maxReceiveCount`. The worker reports the service
   * failed on the last one.
   * @default - `LIMITS.maxReceiveCount.default`
   */
  readonly maxReceiveCount?: number;
  /**
   * Redeploy services on the CODE_DEPLOY deployment controller through their CodeDeploy deployment group
   * (CreateDeployment of the service's current task definition). Off: they are skipped, reason
   * `deployment-controller`, and the functions get no CodeDeploy permission at all.
   * @default - `DEFAULTS.codeDeploy` (true)
   */
  readonly codeDeploy?: boolean;
  /**
   * The flap guard: forced deployments of one service by this tool in any sliding hour, within
   * `LIMITS.maxRedeploysPerHour`. A change past it is deferred (queued until the hour allows, then deployed
   * once with every other change deferred meanwhile), never dropped.
   * @default - `LIMITS.maxRedeploysPerHour.default`
   */
  readonly maxRedeploysPerHour?: number;
  /**
   * The fraction of each of the account's ECS API buckets (burst and refill) the whole stack may spend, within
   * `LIMITS.ecsShare`; CI/CD and people keep the rest. Every function that calls ECS gets its part: this share
   * divided by the number of its processes that can run at once, all functions counted.
   * @default - `LIMITS.ecsShare.default`
   */
  readonly ecsShare?: number;
  /**
   * The accounts whose change events count (12-digit ids): the rules match only events whose `account` is one
   * of them, and the change functions may describe secrets in those accounts only. Name this stack's own
   * account too when its events should still count.
   * @default - this stack's account alone
   */
  readonly sourceAccounts?: readonly string[];
  /**
   * Minutes after which a forced deployment that has not ended is reported `timed-out`, within
   * `LIMITS.rolloutTimeoutMinutes`; a change settles at the latest this long after its redeploys were queued
   * (plus the coalescing window).
   * @default - `LIMITS.rolloutTimeoutMinutes.default` (60)
   */
  readonly rolloutTimeoutMinutes?: number;
  /**
   * E-mail address subscribed to the topic settled reports are published to, which this construct creates.
   * Cannot be combined with `notifyTopic`.
   * @default - no subscription
   */
  readonly notifyEmail?: string;
  /**
   * An existing topic settled reports are published to instead of a new one. A topic encrypted with a
   * customer managed key must let the settle function's role use that key.
   * @default - a new topic, encrypted with the AWS managed key for SNS and refusing requests without TLS
   */
  readonly notifyTopic?: sns.ITopic;
  /**
   * `failures`: publish the settled reports with a failed or timed-out rollout; `all`: every one.
   * @default - `DEFAULTS.notifyOn` ('failures')
   */
  readonly notifyOn?: NotifyOn;
  /**
   * The scheduled reconcile, the audit run on `reconcileSchedule`: `fix` queues the redeploys of the services
   * deployed before a value they read became current, `report` only logs them, `off` deploys no reconcile.
   * A `dryRun` stack reconciles in `report` mode.
   * @default - `DEFAULTS.reconcile` ('fix')
   */
  readonly reconcile?: ReconcileMode;
  /**
   * When the reconcile runs: an EventBridge `rate(...)` (from 15 minutes to 3 days) or `cron(...)` expression.
   * @default - `DEFAULTS.reconcileSchedule` ('rate(6 hours)')
   */
  readonly reconcileSchedule?: string;
  /**
   * The reconcile's calls per second of each ECS read action and of the metadata reads, within
   * `LIMITS.reconcileReadsPerSecond`: its share of buckets that change events and CI/CD use too.
   * @default - `LIMITS.reconcileReadsPerSecond.default`
   */
  readonly reconcileReadsPerSecond?: number;
  /**
   * IAM role ARNs that may send to the redeploy queue besides the stack's own functions: the principals
   * operators start a dead-letter queue redrive as, should the queue policy refuse the redrive's sends.
   * @default - none: only the stack's functions, and requests an AWS service makes on a principal's behalf
   */
  readonly redriveRoleArns?: readonly string[];
  /**
   * How long the change buffer gathers changes before the change scanner handles them all with one scan:
   * a burst of changes within it costs one scan. Whole seconds, within `LIMITS.changeBatchingWindowSeconds`.
   * @default - `LIMITS.changeBatchingWindowSeconds.default` seconds
   */
  readonly changeBatchingWindow?: Duration;
  /**
   * Changes one scan handles at most, within `LIMITS.changeBatchSize`.
   * @default - `LIMITS.changeBatchSize.default`
   */
  readonly changeBatchSize?: number;
}

/** The reconcile as deployed: its mode, its schedule and its share of the read buckets. */
export interface ReconcileSettings {
  readonly mode: 'fix' | 'report';
  readonly schedule: ReconcileSchedule;
  readonly readsPerSecond: number;
}

/** The props with every default filled in and every value checked. */
export interface RotationRedeploySettings {
  readonly bundleDir: string;
  readonly dryRun: boolean;
  readonly selectionMode: SelectionMode;
  readonly concurrency: number;
  readonly cloudTrailFallback: boolean;
  /** Undefined: each function's own default. */
  readonly reservedConcurrency?: number;
  readonly updatesPerSecond: number;
  readonly coalesceSeconds: number;
  readonly maxReceiveCount: number;
  readonly codeDeploy: boolean;
  readonly maxRedeploysPerHour: number;
  readonly ecsShare: number;
  /** Undefined: this stack's own account alone (known only at deployment). */
  readonly sourceAccounts?: readonly string[];
  /** Null with `reconcile: 'off'`. */
  readonly reconcile: ReconcileSettings | null;
  readonly rolloutTimeoutMinutes: number;
  readonly notifyOn: NotifyOn;
  readonly changeBatchingWindowSeconds: number;
  readonly changeBatchSize: number;
}

/** Fills in the defaults and refuses, naming the prop and its allowed range, what cannot be deployed. */
export function settingsFromProps(props: RotationRedeployProps): RotationRedeploySettings {
  const concurrency = checked('concurrency', LIMITS.concurrency, props.concurrency);
  // 0 would throttle every event: nothing would ever be redeployed.
  const reservedConcurrency =
    props.reservedConcurrency === undefined
      ? undefined
      : checked('reservedConcurrency', LIMITS.reservedConcurrency, props.reservedConcurrency);
  if (props.alarmEmail !== undefined && props.alarmTopic !== undefined) {
    throw new InvalidPropsError(
      'Give either alarmEmail (subscribed to a new topic) or alarmTopic (an existing topic), not both',
    );
  }
  if (props.notifyEmail !== undefined && props.notifyTopic !== undefined) {
    throw new InvalidPropsError(
      'Give either notifyEmail (subscribed to a new topic) or notifyTopic (an existing topic), not both',
    );
  }
  const updatesPerSecond = checked(
    'updatesPerSecond',
    LIMITS.updatesPerSecond,
    props.updatesPerSecond,
    " (the account's UpdateService refill rate)",
  );
  return {
    bundleDir: props.bundleDir ?? DEFAULT_BUNDLE_DIR,
    dryRun: props.dryRun ?? DEFAULTS.dryRun,
    selectionMode: props.selectionMode ?? DEFAULTS.selectionMode,
    concurrency,
    cloudTrailFallback: props.cloudTrailFallback ?? false,
    reservedConcurrency,
    updatesPerSecond,
    coalesceSeconds: coalesceSecondsOf(props.coalesceWindow),
    maxReceiveCount: checked(
      'maxReceiveCount',
      LIMITS.maxReceiveCount,
      props.maxReceiveCount,
      ' (what an SQS redrive policy accepts)',
    ),
    codeDeploy: props.codeDeploy ?? DEFAULTS.codeDeploy,
    maxRedeploysPerHour: checked(
      'maxRedeploysPerHour',
      LIMITS.maxRedeploysPerHour,
      props.maxRedeploysPerHour,
    ),
    ecsShare: checked('ecsShare', LIMITS.ecsShare, props.ecsShare),
    sourceAccounts: sourceAccountsOf(props.sourceAccounts),
    reconcile: reconcileOf(props),
    rolloutTimeoutMinutes: checked(
      'rolloutTimeoutMinutes',
      LIMITS.rolloutTimeoutMinutes,
      props.rolloutTimeoutMinutes,
    ),
    notifyOn: notifyOnOf(props.notifyOn),
    changeBatchingWindowSeconds: windowSecondsOf(props.changeBatchingWindow),
    changeBatchSize: checked(
      'changeBatchSize',
      LIMITS.changeBatchSize,
      props.changeBatchSize,
      ' (what an SQS event source with a batching window accepts)',
    ),
  };
}

function sourceAccountsOf(accounts: readonly string[] | undefined): readonly string[] | undefined {
  if (accounts === undefined) return undefined;
  if (accounts.length === 0) {
    throw new InvalidPropsError(
      "sourceAccounts must name at least one account (leave it out for this stack's account alone)",
    );
  }
  const wrong = accounts.find((account) => !isAccountId(account));
  if (wrong !== undefined) {
    throw new InvalidPropsError(`sourceAccounts must be 12-digit AWS account ids; got "${wrong}"`);
  }
  return [...new Set(accounts)];
}

function reconcileOf(props: RotationRedeployProps): ReconcileSettings | null {
  const mode = props.reconcile ?? DEFAULTS.reconcile;
  if (!RECONCILE_MODE_CHOICES.includes(mode)) {
    throw new InvalidPropsError(`reconcile must be "fix", "report" or "off", got ${JSON.stringify(mode)}`);
  }
  // Checked even when off, so turning it on later does not reveal a value refused all along.
  const schedule = parseReconcileSchedule(props.reconcileSchedule ?? DEFAULTS.reconcileSchedule);
  if ('problem' in schedule) throw new InvalidPropsError(`reconcileSchedule must be ${schedule.problem}`);
  const readsPerSecond = checked(
    'reconcileReadsPerSecond',
    LIMITS.reconcileReadsPerSecond,
    props.reconcileReadsPerSecond,
    " (ECS's read buckets refill 20 a second)",
  );
  if (mode === 'off') return null;
  return { mode: props.dryRun === true ? 'report' : mode, schedule, readsPerSecond };
}

const RECONCILE_MODE_CHOICES: readonly string[] = RECONCILE_MODES;

function windowSecondsOf(window: Duration | undefined): number {
  const limit = LIMITS.changeBatchingWindowSeconds;
  const seconds = (window ?? Duration.seconds(limit.default)).toMilliseconds({ integral: false }) / 1000;
  if (!isWithin(limit, seconds)) {
    throw new InvalidPropsError(
      `changeBatchingWindow must be ${describeLimit(limit)} seconds (what an SQS event source waits at most), got ${seconds} seconds`,
    );
  }
  return seconds;
}

function checked(key: string, limit: Limit, value: number | undefined, why = ''): number {
  const resolved = value ?? limit.default;
  if (!isWithin(limit, resolved)) {
    throw new InvalidPropsError(`${key} must be ${describeLimit(limit)}${why}, got ${resolved}`);
  }
  return resolved;
}

function coalesceSecondsOf(window: Duration | undefined): number {
  const limit = LIMITS.coalesceSeconds;
  const seconds = (window ?? Duration.seconds(limit.default)).toMilliseconds({ integral: false }) / 1000;
  if (!isWithin(limit, seconds)) {
    throw new InvalidPropsError(
      `coalesceWindow must be ${describeLimit(limit)} seconds (the longest SQS message delay), got ${seconds} seconds`,
    );
  }
  return seconds;
}

function notifyOnOf(value: NotifyOn | undefined): NotifyOn {
  const resolved = value ?? DEFAULTS.notifyOn;
  if (!NOTIFY_ON.includes(resolved)) {
    throw new InvalidPropsError(
      `notifyOn must be ${NOTIFY_ON.map((known) => `'${known}'`).join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  return resolved;
}

/**
 * The names `functions/` and `infra/` must agree on, defined once: what the functions log and emit is what
 * the stack's alarms, dashboard and saved queries look for, and what the stack sets is what they read.
 * Pure constants: no imports, so the CDK app and the Lambda bundles can both take it.
 */

/** Powertools' service name: the `service` field of every log line and the metrics' `service` dimension. */
export const SERVICE_NAME = 'rotation-redeploy';

/** The CloudWatch namespace of every metric the functions emit (Embedded Metric Format). */
export const METRICS_NAMESPACE = 'RotationRedeploy';

/** Every metric the functions emit, with what it counts. */
export const METRICS = {
  /** A change event acted on (not ignored). */
  ChangesHandled: 'ChangesHandled',
  /** An event understood and ignored with a named reason. */
  EventsIgnored: 'EventsIgnored',
  /** Services whose current task definition references the changed item. */
  ServicesMatched: 'ServicesMatched',
  /** Services UpdateService was called for and accepted. */
  ServicesRedeployed: 'ServicesRedeployed',
  /** Services a change function handed to the redeploy queue. */
  ServicesQueued: 'ServicesQueued',
  ServicesSkipped: 'ServicesSkipped',
  /** The change functions' failures, and the worker's on a message's last attempt. */
  ServicesFailed: 'ServicesFailed',
  /** Changes that rode on another change's deployment of the same service (the worker). */
  ChangesCoalesced: 'ChangesCoalesced',
  /**
   * Services the flap guard held back: a change function's report counts each service it found at its limit,
   * the worker each message it deferred or folded into the one already waiting.
   */
  ServicesFlapping: 'ServicesFlapping',
  /**
   * The scheduled reconcile's count of services deployed before a value they read became current (skipped
   * ones not counted), one data point per run, 0 included: an alarm fires when two runs in a row find some.
   */
  ServicesStale: 'ServicesStale',
  /** Rollouts that ended with every task of the new deployment running (or replaced by a later one). */
  RolloutsCompleted: 'RolloutsCompleted',
  /** Rollouts stopped or rolled back, and services that could not be redeployed: they still read the old value. */
  RolloutsFailed: 'RolloutsFailed',
  /** Rollouts not ended by the deadline (context rolloutTimeoutMinutes). */
  RolloutsTimedOut: 'RolloutsTimedOut',
  /** Seconds from a change to the end of each of its rollouts (one value per ended rollout). */
  SecondsToSettle: 'SecondsToSettle',
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The `message` of the log lines that saved queries and alarms filter on. */
export const LOG_MESSAGES = {
  /** One per change handled (a change function's run, or each change of the change scanner's batch): the report under `report`. */
  redeployReport: 'redeploy report',
  /**
   * A change function read the change's metadata and put it in the change buffer: the change scanner reports
   * it (under `change`, with what the metadata said under `current`).
   */
  changeBuffered: 'change buffered for the change scanner',
  /** One per failed service, the service under `ecsService` (change functions, and the worker's last attempt). */
  serviceRedeployFailed: 'service redeploy failed',
  /** The worker's attempt that will be retried. */
  serviceRedeployRetrying: 'service redeploy failed, will be retried',
  /** The worker forced a new deployment. */
  serviceRedeployed: 'service redeployed',
  /** A dry-run worker's message: what it would have redeployed (it calls no UpdateService). */
  serviceWouldRedeploy: 'service would be redeployed (dry run)',
  /** The worker found the message's change already carried by an earlier deployment. */
  redeployAlreadyDone: 'redeploy already done for this change',
  /** An event the tool cannot act on; it goes to the on-failure queue after the retries. */
  eventRefused: 'event refused',
  /** A run that failed as a whole and will be retried. */
  runFailed: 'run failed, to be retried',
  /** A tagged service in the short ARN format, whose cluster cannot be told (warning). */
  serviceUnplaceable: 'tagged service in the short ARN format is skipped: its cluster cannot be told',
  /** The state table could not be read or written; ECS was asked instead (warning). */
  stateTableUnavailable: 'state table unavailable, task definitions read from ECS',
  /** The worker could not hide a failed message for its back-off; SQS retries it sooner (warning). */
  retryNotDelayed: 'could not delay the retry',
  /**
   * The service's CodeDeploy deployment group runs another deployment: the redeploy is queued again, delayed,
   * and waits for it to end (CodeDeploy runs one deployment per group at a time).
   */
  redeployWaiting: 'redeploy waits for the deployment group',
  /** The worker held a service back: it reached its forced deployments for the hour (the flap guard). */
  redeployDeferred: 'redeploy deferred by the flap guard',
  /** One per scheduled reconcile run: the audit's report under `report`. */
  reconcileReport: 'reconcile report',
  /**
   * The worker refused a queue message it cannot trust (not JSON, missing fields, or a service ARN, cluster and
   * name that do not name one service): nothing is done for it, and it is handed back at once so it reaches
   * the dead-letter queue within seconds (warning; its last receive logs `service redeploy failed`).
   */
  redeployMessageRefused: 'redeploy message refused',
  /**
   * The worker left the service alone: tagged to opt out when it looked again before redeploying (reason
   * `opted-out`), or, deciding a recheck message afresh, for a decision's skip reason or `not-referenced`.
   */
  serviceSkipped: 'service skipped',
  /** The worker's invocation had too little time left to start this message: it is queued again, untried. */
  redeployHandedBack: 'redeploy handed back, not enough time left',
  /** One per change, when its last rollout ended or its deadline passed: the settled report under `report`. */
  redeploySettled: 'redeploy settled',
  /**
   * One per service whose rollout failed or timed out, logged with its change's settled report: the service
   * under `ecsService`, its end under `rollout`, the change under `change` (warning).
   */
  rolloutNotCompleted: 'rollout failed or timed out',
  /** The worker started a deployment but could not record it or schedule its check: it is not followed (warning). */
  rolloutNotTracked: 'deployment started but not followed',
  /** A settled report could not be published to the notification topic (error). */
  notificationFailed: 'settled report not published',
} as const;
export type LogMessage = (typeof LOG_MESSAGES)[keyof typeof LOG_MESSAGES];

/**
 * The log field holding the ECS service on a `service redeploy failed` line. Not `service`: Powertools
 * Logger reserves that key (its own service name) and drops an extra attribute named so.
 */
export const SERVICE_LOG_KEY = 'ecsService';

/** The environment variables the stack sets and the functions read. */
export const ENV = {
  dryRun: 'DRY_RUN',
  selectionMode: 'SELECTION_MODE',
  concurrency: 'CONCURRENCY',
  updatesPerSecond: 'UPDATES_PER_SECOND',
  tableName: 'TABLE_NAME',
  queueUrl: 'QUEUE_URL',
  coalesceSeconds: 'COALESCE_SECONDS',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  visibilityTimeoutSeconds: 'VISIBILITY_TIMEOUT_SECONDS',
  codeDeploy: 'CODE_DEPLOY',
  /** The fraction of each of the account's ECS API buckets this one process may spend (the stack divides its share). */
  ecsShare: 'ECS_SHARE',
  /** The flap guard's limit: forced deployments of one service in any hour. */
  maxRedeploysPerHour: 'MAX_REDEPLOYS_PER_HOUR',
  /** The scheduled reconcile: `fix` queues the stale services' redeploys, `report` only reports them. */
  reconcileMode: 'RECONCILE_MODE',
  /** The scheduled reconcile's reads per second, per ECS action and for the metadata reads. */
  readsPerSecond: 'READS_PER_SECOND',
  /** The settle queue: the delayed checks of deployments and changes. */
  settleQueueUrl: 'SETTLE_QUEUE_URL',
  rolloutTimeoutMinutes: 'ROLLOUT_TIMEOUT_MINUTES',
  /** The SNS topic settled reports are published to; unset: none published. */
  notifyTopicArn: 'NOTIFY_TOPIC_ARN',
  /** `failures` or `all`. */
  notifyOn: 'NOTIFY_ON',
  /** The change buffer: set, a change function hands each change there for the change scanner. */
  changesQueueUrl: 'CHANGES_QUEUE_URL',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Lambda bundle names: the directory under dist/ that build.mjs writes and infra/ deploys. */
export const BUNDLES = {
  secretChanged: 'secret-changed',
  parameterChanged: 'parameter-changed',
  redeployWorker: 'redeploy-worker',
  reconcile: 'reconcile',
  settleRollouts: 'settle-rollouts',
  /** Consumes the change buffer: one scan for each batch of changes. */
  changeScanner: 'change-scanner',
} as const;
export type BundleName = (typeof BUNDLES)[keyof typeof BUNDLES];

/** The CloudTrail events after which AWSCURRENT may point at a new value (the parser makes the final call). */
export const CLOUDTRAIL_SECRET_EVENT_NAMES = [
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotationSucceeded',
] as const;

/** The service tag that opts a service in (selection mode `tagged`, value `on`) or out (value `off`). */
export const OPT_TAG_KEY = 'rotation-redeploy';

/** `all`: every service of every cluster; `tagged`: only services tagged `rotation-redeploy=on`. */
export const SELECTION_MODES = ['all', 'tagged'] as const;
export type SelectionMode = (typeof SELECTION_MODES)[number];

/**
 * The scheduled reconcile: `fix` runs the audit and queues the stale services' redeploys, `report` runs it and
 * only reports, `off` deploys no reconcile at all.
 */
export const RECONCILE_MODES = ['fix', 'report', 'off'] as const;
export type ReconcileMode = (typeof RECONCILE_MODES)[number];

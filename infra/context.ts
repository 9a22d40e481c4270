/**
 * CDK context (`npx cdk deploy -c key=value`, or cdk.json) → the stack's options. Pure: app.ts hands in
 * the context it read. Values from `-c` arrive as strings, values from cdk.json as JSON types: both work.
 */
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  OPT_TAG_KEY,
  RECONCILE_MODES,
  type ReconcileMode,
  SELECTION_MODES,
  type SelectionMode,
} from '../functions/contract.ts';
import { isAccountId } from '../functions/core/arn.ts';
import { NOTIFY_ON, type NotifyOn } from '../functions/core/settled-report.ts';
import { DEFAULTS, describeLimit, LIMITS, type Limit, numberWithin } from '../functions/wiring/limits.ts';
import { parseReconcileSchedule, SCHEDULE_WORDS } from './constructs/reconcile-schedule.ts';
import { InvalidContextError } from './errors.ts';

export interface AppOptions {
  readonly dryRun: boolean;
  readonly selectionMode: SelectionMode;
  readonly cloudTrailFallback: boolean;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  readonly logRetention?: RetentionDays;
  readonly concurrency?: number;
  readonly reservedConcurrency?: number;
  readonly updatesPerSecond?: number;
  readonly coalesceWindow?: Duration;
  readonly maxReceiveCount?: number;
  readonly maxRedeploysPerHour?: number;
  readonly ecsShare?: number;
  /** Undefined: this stack's own account alone. */
  readonly sourceAccounts?: readonly string[];
  readonly redriveRoleArns?: readonly string[];
  readonly changeBatchingWindow?: Duration;
  readonly changeBatchSize?: number;
  readonly bundleDir?: string;
  readonly codeDeploy: boolean;
  readonly reconcile?: ReconcileMode;
  readonly reconcileSchedule?: string;
  readonly reconcileReadsPerSecond?: number;
  readonly rolloutTimeoutMinutes?: number;
  readonly notifyEmail?: string;
  readonly notifyTopicArn?: string;
  readonly notifyOn?: NotifyOn;
}

/** Every context key the app reads, with the one-line help its errors print. */
export const CONTEXT_KEYS = {
  dryRun: `true | false (default ${DEFAULTS.dryRun}): report what would be redeployed, redeploy nothing`,
  selectionMode: `${SELECTION_MODES.join(' | ')} (default ${DEFAULTS.selectionMode}): tagged considers only services tagged ${OPT_TAG_KEY}=on`,
  cloudTrailFallback:
    'true | false (default false): also react to Secrets Manager changes seen via CloudTrail',
  alarmEmail: 'an e-mail address subscribed to the new alarm topic',
  alarmTopicArn: 'the ARN of an existing SNS topic for the alarms (instead of a new one)',
  logRetentionDays: `days the function logs are kept (default 30), one of ${retentionChoices()} (9999: forever)`,
  concurrency: withLimit('task definition reads and redeploys in flight per run', LIMITS.concurrency),
  reservedConcurrency: withLimit('runs of each change function at once', LIMITS.reservedConcurrency),
  updatesPerSecond: withLimit('UpdateService calls per second for the whole stack', LIMITS.updatesPerSecond),
  coalesceWindow: withLimit(
    'seconds in which changes to one service share one deployment',
    LIMITS.coalesceSeconds,
  ),
  maxReceiveCount: withLimit(
    'attempts per redeploy message before its dead-letter queue',
    LIMITS.maxReceiveCount,
  ),
  maxRedeploysPerHour: withLimit(
    'forced deployments of one service by this tool in any hour (the flap guard)',
    LIMITS.maxRedeploysPerHour,
  ),
  ecsShare: withLimit(
    "the fraction of each of the account's ECS API buckets the whole stack may use",
    LIMITS.ecsShare,
  ),
  sourceAccounts:
    "comma-separated 12-digit AWS account ids whose change events count (default: this stack's account alone)",
  redriveRoleArns:
    'comma-separated IAM role ARNs that may send to the redeploy queue besides the stack, to redrive its dead-letter queue (default none)',
  changeBatchingWindow: withLimit(
    'seconds the change buffer gathers changes for one scan',
    LIMITS.changeBatchingWindowSeconds,
  ),
  changeBatchSize: withLimit('changes one scan handles at most', LIMITS.changeBatchSize),
  bundleDir: 'directory holding the built Lambda bundles (default dist/)',
  codeDeploy: `true | false (default ${DEFAULTS.codeDeploy}): redeploy CODE_DEPLOY services through their CodeDeploy deployment group; false skips them`,
  reconcile: `${RECONCILE_MODES.join(' | ')} (default ${DEFAULTS.reconcile}): the scheduled audit queues the stale services' redeploys (fix), only reports them (report), or is not deployed (off)`,
  reconcileSchedule: `when the reconcile runs (default ${DEFAULTS.reconcileSchedule}): ${SCHEDULE_WORDS}`,
  reconcileReadsPerSecond: withLimit(
    "the reconcile's calls per second of each ECS read action and of the metadata reads",
    LIMITS.reconcileReadsPerSecond,
  ),
  rolloutTimeoutMinutes: withLimit(
    'minutes after which a forced deployment that has not ended is reported timed-out',
    LIMITS.rolloutTimeoutMinutes,
  ),
  notifyEmail: 'an e-mail address subscribed to the new topic settled reports are published to',
  notifyTopicArn: 'the ARN of an existing SNS topic settled reports are published to (instead of a new one)',
  notifyOn: `${NOTIFY_ON.join(' | ')} (default ${DEFAULTS.notifyOn}): which settled reports are published (failures: those with a failed or timed-out rollout)`,
} as const;
type ContextKey = keyof typeof CONTEXT_KEYS;

export function optionsFromContext(context: Readonly<Record<string, unknown>>): AppOptions {
  rejectMisspelledKeys(context);
  const value = (key: ContextKey): unknown => context[key];
  const numberOf = (key: ContextKey, limit: Limit) => numberWithinLimit(key, value(key), limit);
  const alarm = emailOrTopic(value, 'alarmEmail', 'alarmTopicArn', 'alarm topic');
  const notify = emailOrTopic(value, 'notifyEmail', 'notifyTopicArn', 'topic for settled reports');
  return {
    dryRun: booleanOf('dryRun', value('dryRun')) ?? DEFAULTS.dryRun,
    selectionMode: selectionModeOf(value('selectionMode')) ?? DEFAULTS.selectionMode,
    cloudTrailFallback: booleanOf('cloudTrailFallback', value('cloudTrailFallback')) ?? false,
    alarmEmail: alarm.email,
    alarmTopicArn: alarm.topicArn,
    logRetention: retentionOf(value('logRetentionDays')),
    concurrency: numberOf('concurrency', LIMITS.concurrency),
    reservedConcurrency: numberOf('reservedConcurrency', LIMITS.reservedConcurrency),
    updatesPerSecond: numberOf('updatesPerSecond', LIMITS.updatesPerSecond),
    coalesceWindow: secondsOf(numberOf('coalesceWindow', LIMITS.coalesceSeconds)),
    maxReceiveCount: numberOf('maxReceiveCount', LIMITS.maxReceiveCount),
    maxRedeploysPerHour: numberOf('maxRedeploysPerHour', LIMITS.maxRedeploysPerHour),
    ecsShare: numberOf('ecsShare', LIMITS.ecsShare),
    sourceAccounts: accountsOf(value('sourceAccounts')),
    redriveRoleArns: roleArnsOf(value('redriveRoleArns')),
    changeBatchingWindow: secondsOf(numberOf('changeBatchingWindow', LIMITS.changeBatchingWindowSeconds)),
    changeBatchSize: numberOf('changeBatchSize', LIMITS.changeBatchSize),
    bundleDir: optionalString('bundleDir', value('bundleDir')),
    codeDeploy: booleanOf('codeDeploy', value('codeDeploy')) ?? DEFAULTS.codeDeploy,
    reconcile: reconcileModeOf(value('reconcile')),
    reconcileSchedule: reconcileScheduleOf(value('reconcileSchedule')),
    reconcileReadsPerSecond: numberOf('reconcileReadsPerSecond', LIMITS.reconcileReadsPerSecond),
    rolloutTimeoutMinutes: numberOf('rolloutTimeoutMinutes', LIMITS.rolloutTimeoutMinutes),
    notifyEmail: notify.email,
    notifyTopicArn: notify.topicArn,
    notifyOn: notifyOnOf(value('notifyOn')),
  };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** An e-mail address for a new topic, or an existing topic's ARN, or neither: never both. */
function emailOrTopic(
  value: (key: ContextKey) => unknown,
  emailKey: ContextKey,
  topicKey: ContextKey,
  what: string,
): { email?: string; topicArn?: string } {
  const email = optionalString(emailKey, value(emailKey));
  const topicArn = optionalString(topicKey, value(topicKey));
  if (email !== undefined && !EMAIL.test(email)) throw invalid(emailKey, email);
  if (topicArn !== undefined && !TOPIC_ARN.test(topicArn)) throw invalid(topicKey, topicArn);
  if (email !== undefined && topicArn !== undefined) {
    throw new InvalidContextError(
      `Set either ${emailKey} (a new ${what} with that subscription) or ${topicKey} (your existing topic), not both`,
    );
  }
  return { email, topicArn };
}

function notifyOnOf(raw: unknown): NotifyOn | undefined {
  if (raw === undefined || raw === null) return undefined;
  const mode = NOTIFY_ON.find((known) => known === raw);
  if (mode === undefined) throw invalid('notifyOn', raw);
  return mode;
}

/** "what it is, <the range in words> (default <its default>)": the help and the error name the same range. */
function withLimit(what: string, limit: Limit): string {
  return `${what}, ${describeLimit(limit)} (default ${limit.default})`;
}

function invalid(key: ContextKey, got: unknown): InvalidContextError {
  return new InvalidContextError(`Context ${key} must be ${CONTEXT_KEYS[key]}; got ${JSON.stringify(got)}`);
}

/** `-c dryrun=true` would otherwise be ignored without a word, and the stack would redeploy for real. */
function rejectMisspelledKeys(context: Readonly<Record<string, unknown>>): void {
  const canonical = (key: string) => key.toLowerCase().replace(/[-_.]/g, '');
  const known = new Map(Object.keys(CONTEXT_KEYS).map((key) => [canonical(key), key]));
  for (const key of Object.keys(context)) {
    const meant = known.get(canonical(key));
    if (meant !== undefined && meant !== key) {
      throw new InvalidContextError(`Unknown context key ${key}: did you mean ${meant}?`);
    }
  }
}

function optionalString(key: ContextKey, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw invalid(key, raw);
  return raw.trim();
}

function booleanOf(key: ContextKey, raw: unknown): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim()))
    return raw.trim().toLowerCase() === 'true';
  throw invalid(key, raw);
}

function selectionModeOf(raw: unknown): SelectionMode | undefined {
  if (raw === undefined || raw === null) return undefined;
  const mode = SELECTION_MODES.find((known) => known === raw);
  if (mode === undefined) throw invalid('selectionMode', raw);
  return mode;
}

function reconcileModeOf(raw: unknown): ReconcileMode | undefined {
  if (raw === undefined || raw === null) return undefined;
  const mode = RECONCILE_MODES.find((known) => known === raw);
  if (mode === undefined) throw invalid('reconcile', raw);
  return mode;
}

/** Checked here, so the error names the context key and says what went wrong with the expression. */
function reconcileScheduleOf(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const schedule = typeof raw === 'string' ? parseReconcileSchedule(raw) : { problem: '' };
  if ('problem' in schedule) {
    throw new InvalidContextError(
      `Context reconcileSchedule must be ${schedule.problem === '' ? `${SCHEDULE_WORDS}; got ${JSON.stringify(raw)}` : schedule.problem}`,
    );
  }
  return schedule.expression;
}

/** A number from `-c` (a string) or cdk.json (a number), within its limit. */
function numberWithinLimit(key: ContextKey, raw: unknown, limit: Limit): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
  const number = numberWithin(limit, text);
  if (number === undefined) throw invalid(key, raw);
  return number;
}

/**
 * `111111111111,222222222222` (or a cdk.json list): each a 12-digit account id, duplicates dropped. An empty
 * list is refused: it would make every change event count for nothing.
 */
function accountsOf(raw: unknown): readonly string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
  const accounts = parts.map((part) => (typeof part === 'string' ? part.trim() : JSON.stringify(part)));
  const wrong = accounts.find((account) => !isAccountId(account));
  if (accounts.length === 0 || wrong !== undefined) {
    const which = wrong === undefined ? '' : ` ("${wrong}" is not one)`;
    throw new InvalidContextError(
      `Context sourceAccounts must be ${CONTEXT_KEYS.sourceAccounts}${which}; got ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(accounts)];
}

/** `arn:aws:iam::111111111111:role/ops,...` (or a cdk.json list): each an IAM role ARN, duplicates dropped. */
function roleArnsOf(raw: unknown): readonly string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
  const arns = parts.map((part) => (typeof part === 'string' ? part.trim() : JSON.stringify(part)));
  const wrong = arns.find((arn) => !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(arn));
  if (arns.length === 0 || wrong !== undefined) {
    const which = wrong === undefined ? '' : ` ("${wrong}" is not one)`;
    throw new InvalidContextError(
      `Context redriveRoleArns must be ${CONTEXT_KEYS.redriveRoleArns}${which}; got ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(arns)];
}

function secondsOf(seconds: number | undefined): Duration | undefined {
  return seconds === undefined ? undefined : Duration.seconds(seconds);
}

function retentionChoices(): string {
  return retentionValues().join(', ');
}

function retentionValues(): number[] {
  return Object.values(RetentionDays).filter((days): days is number => typeof days === 'number');
}

/** One of the retention periods CloudWatch Logs offers, which RetentionDays lists. */
function retentionOf(raw: unknown): RetentionDays | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const days = retentionValues().find((choice) => /^\d+$/.test(text) && choice === Number(text));
  if (days === undefined) throw invalid('logRetentionDays', raw);
  return days;
}

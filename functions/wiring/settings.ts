/**
 * The one typed configuration, read once: from the environment (the change functions and the worker) or
 * from flags (the CLI). Every number is checked against its row in LIMITS; a bad value fails fast with a
 * ConfigurationError naming the variable (or flag), the allowed range and the value given.
 */
import {
  ENV,
  type EnvName,
  RECONCILE_MODES,
  type ReconcileMode,
  SELECTION_MODES,
  type SelectionMode,
} from '../contract.ts';
import { ConfigurationError } from '../core/errors.ts';
import { NOTIFY_ON, type NotifyOn } from '../core/settled-report.ts';
import { DEFAULTS, describeLimit, LIMITS, type Limit, numberWithin } from './limits.ts';

export interface Settings {
  /** Plan only: report `would-redeploy`, never call UpdateService. */
  readonly dryRun: boolean;
  /** `all`: every service of every cluster; `tagged`: only services tagged `rotation-redeploy=on`. */
  readonly selection: SelectionMode;
  /** Task definition reads and redeploys in flight at once. */
  readonly concurrency: number;
  /** UpdateService calls per second at most, from this process. */
  readonly updatesPerSecond: number;
  /** The DynamoDB state table (task definition cache, once-per-change, pending redeploys); null: memory only. */
  readonly tableName: string | null;
  /** The redeploy queue; null: call UpdateService directly. */
  readonly queueUrl: string | null;
  /** Changes to one service within this many seconds share one deployment (queued delivery). */
  readonly coalesceSeconds: number;
  /** Receives of one redeploy message before SQS moves it to the dead-letter queue (the worker). */
  readonly maxReceiveCount: number;
  /** How long a received message stays hidden, and so how long the worker holds its service. */
  readonly visibilityTimeoutSeconds: number;
  /** Redeploy CODE_DEPLOY services with a CodeDeploy deployment to their group; off: skip them. */
  readonly codeDeploy: boolean;
  /** The fraction of each of the account's ECS buckets this process may spend (the stack gives each its part). */
  readonly ecsShare: number;
  /** The flap guard: forced deployments of one service by this tool in any hour. */
  readonly maxRedeploysPerHour: number;
  /** The settle queue; null: the deployments started are not followed (no settle function). */
  readonly settleQueueUrl: string | null;
  /** A rollout not ended this many minutes after it started is `timed-out`. */
  readonly rolloutTimeoutMinutes: number;
  /** The SNS topic settled reports go to; null: none published. */
  readonly notifyTopicArn: string | null;
  /** `failures`: only reports with a failed or timed-out rollout are published; `all`: every one. */
  readonly notifyOn: NotifyOn;
  /** The change buffer; null: a change function handles its change itself (a scan per change). */
  readonly changesQueueUrl: string | null;
}

/** The worker's settings: it cannot run without its queue and its state table. */
export type WorkerSettings = Settings & { readonly tableName: string; readonly queueUrl: string };

export const DEFAULT_SETTINGS: Settings = {
  dryRun: DEFAULTS.dryRun,
  selection: DEFAULTS.selectionMode,
  concurrency: LIMITS.concurrency.default,
  updatesPerSecond: LIMITS.updatesPerSecond.default,
  tableName: null,
  queueUrl: null,
  coalesceSeconds: LIMITS.coalesceSeconds.default,
  maxReceiveCount: LIMITS.maxReceiveCount.default,
  visibilityTimeoutSeconds: LIMITS.visibilityTimeoutSeconds.default,
  codeDeploy: DEFAULTS.codeDeploy,
  // A process alone (the CLI, a local run) may spend the whole of the tool's share.
  ecsShare: LIMITS.ecsShare.default,
  maxRedeploysPerHour: LIMITS.maxRedeploysPerHour.default,
  settleQueueUrl: null,
  rolloutTimeoutMinutes: LIMITS.rolloutTimeoutMinutes.default,
  notifyTopicArn: null,
  notifyOn: DEFAULTS.notifyOn,
  changesQueueUrl: null,
};

/** The most task definition reads and redeploys in flight. */
export const MAX_CONCURRENCY = LIMITS.concurrency.max;

export function parseBoolean(name: string, value: string): boolean {
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no', ''].includes(normalised)) return false;
  throw new ConfigurationError(`${name} must be true or false, got "${value}"`);
}

export function parseSelection(name: string, value: string): SelectionMode {
  const mode = SELECTION_MODES.find((known) => known === value);
  if (mode !== undefined) return mode;
  const allowed = SELECTION_MODES.map((known) => `"${known}"`).join(' or ');
  throw new ConfigurationError(`${name} must be ${allowed}, got "${value}"`);
}

/** A number within `limit`, e.g. `CONCURRENCY must be a whole number from 1 to 50, got "100"`. */
export function parseNumber(limit: Limit, name: string, value: string): number {
  const number = numberWithin(limit, value);
  if (number === undefined)
    throw new ConfigurationError(`${name} must be ${describeLimit(limit)}, got "${value}"`);
  return number;
}

export function parseNotifyOn(name: string, value: string): NotifyOn {
  const mode = NOTIFY_ON.find((known) => known === value);
  if (mode !== undefined) return mode;
  throw new ConfigurationError(
    `${name} must be ${NOTIFY_ON.map((known) => `"${known}"`).join(' or ')}, got "${value}"`,
  );
}

type Env = Readonly<Record<string, string | undefined>>;

function read<T>(env: Env, name: EnvName, fallback: T, parse: (name: string, value: string) => T): T {
  const value = env[name];
  return value === undefined ? fallback : parse(name, value);
}

const within = (limit: Limit) => (name: string, value: string) => parseNumber(limit, name, value);
const optionalName = (_: string, value: string) => (value.trim() === '' ? null : value.trim());

/** Reads the settings from the environment; fails fast naming the variable that is wrong. */
export function settingsFromEnv(env: Env): Settings {
  const defaults = DEFAULT_SETTINGS;
  const settings: Settings = {
    dryRun: read(env, ENV.dryRun, defaults.dryRun, parseBoolean),
    selection: read(env, ENV.selectionMode, defaults.selection, parseSelection),
    concurrency: read(env, ENV.concurrency, defaults.concurrency, within(LIMITS.concurrency)),
    updatesPerSecond: read(
      env,
      ENV.updatesPerSecond,
      defaults.updatesPerSecond,
      within(LIMITS.updatesPerSecond),
    ),
    tableName: read(env, ENV.tableName, defaults.tableName, optionalName),
    queueUrl: read(env, ENV.queueUrl, defaults.queueUrl, optionalName),
    coalesceSeconds: read(env, ENV.coalesceSeconds, defaults.coalesceSeconds, within(LIMITS.coalesceSeconds)),
    maxReceiveCount: read(env, ENV.maxReceiveCount, defaults.maxReceiveCount, within(LIMITS.maxReceiveCount)),
    visibilityTimeoutSeconds: read(
      env,
      ENV.visibilityTimeoutSeconds,
      defaults.visibilityTimeoutSeconds,
      within(LIMITS.visibilityTimeoutSeconds),
    ),
    codeDeploy: read(env, ENV.codeDeploy, defaults.codeDeploy, parseBoolean),
    ecsShare: read(env, ENV.ecsShare, defaults.ecsShare, within(LIMITS.ecsShare)),
    maxRedeploysPerHour: read(
      env,
      ENV.maxRedeploysPerHour,
      defaults.maxRedeploysPerHour,
      within(LIMITS.maxRedeploysPerHour),
    ),
    settleQueueUrl: read(env, ENV.settleQueueUrl, defaults.settleQueueUrl, optionalName),
    rolloutTimeoutMinutes: read(
      env,
      ENV.rolloutTimeoutMinutes,
      defaults.rolloutTimeoutMinutes,
      within(LIMITS.rolloutTimeoutMinutes),
    ),
    notifyTopicArn: read(env, ENV.notifyTopicArn, defaults.notifyTopicArn, optionalName),
    notifyOn: read(env, ENV.notifyOn, defaults.notifyOn, parseNotifyOn),
    changesQueueUrl: read(env, ENV.changesQueueUrl, defaults.changesQueueUrl, optionalName),
  };
  if (settings.queueUrl !== null && settings.tableName === null) {
    throw new ConfigurationError(
      `${ENV.queueUrl} needs ${ENV.tableName}: the state table is what makes each service redeploy once per change`,
    );
  }
  return settings;
}

/**
 * The settings of a function that needs the redeploy queue and the state table (the worker, the change
 * scanner): those of settingsFromEnv, with both required. `what` names the function in the error.
 */
export function workerSettingsFromEnv(env: Env, what = 'the redeploy worker'): WorkerSettings {
  const settings = settingsFromEnv(env);
  const { queueUrl, tableName } = settings;
  if (queueUrl === null) throw new ConfigurationError(`${ENV.queueUrl} must be set for ${what}`);
  if (tableName === null) throw new ConfigurationError(`${ENV.tableName} must be set for ${what}`);
  return { ...settings, queueUrl, tableName };
}

/** What a deployed reconcile does with the stale services: `off` deploys no function, so it never reads it. */
export type RunningReconcileMode = Exclude<ReconcileMode, 'off'>;

/** The scheduled reconcile's settings: those of settingsFromEnv, its mode and its share of the read buckets. */
export type ReconcileSettings = Settings & {
  readonly mode: RunningReconcileMode;
  readonly readsPerSecond: number;
};

export function parseReconcileMode(name: string, value: string): RunningReconcileMode {
  const mode = RECONCILE_MODES.find((known) => known === value);
  if (mode === 'fix' || mode === 'report') return mode;
  throw new ConfigurationError(`${name} must be "fix" or "report", got "${value}"`);
}

/**
 * The reconcile function's settings. `fix` hands the stale services to the redeploy queue (the function itself
 * may not call UpdateService), so it needs the queue and the state table that makes each redeploy once per
 * change; a dry-run stack reconciles in `report` mode whatever its mode says.
 */
export function reconcileSettingsFromEnv(env: Env): ReconcileSettings {
  const settings = settingsFromEnv(env);
  const mode = read(env, ENV.reconcileMode, DEFAULTS.reconcile, parseReconcileMode);
  const readsPerSecond = read(
    env,
    ENV.readsPerSecond,
    LIMITS.reconcileReadsPerSecond.default,
    within(LIMITS.reconcileReadsPerSecond),
  );
  if (mode === 'fix' && !settings.dryRun && (settings.queueUrl === null || settings.tableName === null)) {
    throw new ConfigurationError(
      `${ENV.reconcileMode} "fix" needs ${ENV.queueUrl} and ${ENV.tableName}: the reconcile queues redeploys, the worker makes them`,
    );
  }
  return { ...settings, mode: settings.dryRun ? 'report' : mode, readsPerSecond };
}

/** The settle function's settings: it cannot run without its queue and the state table. */
export type SettleSettings = Settings & { readonly tableName: string; readonly settleQueueUrl: string };

export function settleSettingsFromEnv(env: Env): SettleSettings {
  const settings = settingsFromEnv(env);
  const { settleQueueUrl, tableName } = settings;
  if (settleQueueUrl === null)
    throw new ConfigurationError(`${ENV.settleQueueUrl} must be set for the settle function`);
  if (tableName === null)
    throw new ConfigurationError(`${ENV.tableName} must be set for the settle function`);
  return { ...settings, settleQueueUrl, tableName };
}

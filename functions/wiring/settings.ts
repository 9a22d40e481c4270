/** The one typed configuration object, built once from the environment (handlers) or flags (CLI). */
import { ConfigurationError } from '../core/errors.ts';

export type SelectionMode = 'all' | 'tagged';

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
}

export const DEFAULT_SETTINGS: Settings = {
  dryRun: false,
  selection: 'all',
  concurrency: 8,
  updatesPerSecond: 2,
  tableName: null,
  queueUrl: null,
  coalesceSeconds: 60,
};
export const MAX_CONCURRENCY = 50;

export function parseBoolean(name: string, value: string): boolean {
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no', ''].includes(normalised)) return false;
  throw new ConfigurationError(`${name} must be true or false, got "${value}"`);
}

export function parseSelection(name: string, value: string): SelectionMode {
  if (value === 'all' || value === 'tagged') return value;
  throw new ConfigurationError(`${name} must be "all" or "tagged", got "${value}"`);
}

function parseWhole(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return number;
}

export function parseConcurrency(name: string, value: string): number {
  return parseWhole(name, value, 1, MAX_CONCURRENCY);
}

function parseRate(name: string, value: string): number {
  const number = Number(value);
  // The account's UpdateService bucket refills 5 a second, shared with every other caller.
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number > 5) {
    throw new ConfigurationError(`${name} must be a number above 0 and at most 5, got "${value}"`);
  }
  return number;
}

type Env = Readonly<Record<string, string | undefined>>;

function read<T>(env: Env, name: string, fallback: T, parse: (name: string, value: string) => T): T {
  const value = env[name];
  return value === undefined ? fallback : parse(name, value);
}

const optionalName = (_: string, value: string) => (value.trim() === '' ? null : value.trim());

/** Reads the handlers' settings; fails fast naming the variable that is wrong. */
export function settingsFromEnv(env: Env): Settings {
  return {
    dryRun: read(env, 'DRY_RUN', DEFAULT_SETTINGS.dryRun, parseBoolean),
    selection: read(env, 'SELECTION_MODE', DEFAULT_SETTINGS.selection, parseSelection),
    concurrency: read(env, 'CONCURRENCY', DEFAULT_SETTINGS.concurrency, parseConcurrency),
    updatesPerSecond: read(env, 'UPDATES_PER_SECOND', DEFAULT_SETTINGS.updatesPerSecond, parseRate),
    tableName: read(env, 'TABLE_NAME', DEFAULT_SETTINGS.tableName, optionalName),
    queueUrl: read(env, 'QUEUE_URL', DEFAULT_SETTINGS.queueUrl, optionalName),
    // SQS delays a message at most 15 minutes.
    coalesceSeconds: read(env, 'COALESCE_SECONDS', DEFAULT_SETTINGS.coalesceSeconds, (name, value) =>
      parseWhole(name, value, 0, 900),
    ),
  };
}

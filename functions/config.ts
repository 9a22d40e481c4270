/** The one typed configuration object, built once from the environment (handlers) or flags (CLI). */
import { ConfigurationError } from './core/errors.ts';

export type SelectionMode = 'all' | 'tagged';

export interface Settings {
  /** Plan only: report `would-redeploy`, never call UpdateService. */
  readonly dryRun: boolean;
  /** `all`: every service of every cluster; `tagged`: only services tagged `rotation-redeploy=on`. */
  readonly selection: SelectionMode;
  /** Task definition reads and redeploys in flight at once. */
  readonly concurrency: number;
}

export const DEFAULT_SETTINGS: Settings = { dryRun: false, selection: 'all', concurrency: 8 };
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

export function parseConcurrency(name: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < 1 || number > MAX_CONCURRENCY) {
    throw new ConfigurationError(`${name} must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${value}"`);
  }
  return number;
}

/** Reads DRY_RUN, SELECTION_MODE and CONCURRENCY; fails fast naming the variable that is wrong. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): Settings {
  return {
    dryRun: env.DRY_RUN === undefined ? DEFAULT_SETTINGS.dryRun : parseBoolean('DRY_RUN', env.DRY_RUN),
    selection:
      env.SELECTION_MODE === undefined ? DEFAULT_SETTINGS.selection : parseSelection('SELECTION_MODE', env.SELECTION_MODE),
    concurrency:
      env.CONCURRENCY === undefined ? DEFAULT_SETTINGS.concurrency : parseConcurrency('CONCURRENCY', env.CONCURRENCY),
  };
}

/**
 * CDK context (`npx cdk deploy -c key=value`, or cdk.json) → the stack's options. Pure: app.ts hands in
 * the context it read. Values from `-c` arrive as strings, values from cdk.json as JSON types: both work.
 */
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { SelectionMode } from '../functions/contract.ts';
import { MAX_CONCURRENCY } from '../functions/wiring/settings.ts';
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
  readonly bundleDir?: string;
}

/** Every context key the app reads, with the one-line help its errors print. */
export const CONTEXT_KEYS = {
  dryRun: 'true | false (default false): report what would be redeployed, redeploy nothing',
  selectionMode: 'all | tagged (default all): tagged considers only services tagged rotation-redeploy=on',
  cloudTrailFallback:
    'true | false (default false): also react to Secrets Manager changes seen via CloudTrail',
  alarmEmail: 'an e-mail address subscribed to the new alarm topic',
  alarmTopicArn: 'the ARN of an existing SNS topic for the alarms (instead of a new one)',
  logRetentionDays: `days the function logs are kept (default 30), one of ${retentionChoices()} (9999: forever)`,
  concurrency: `task definition reads and redeploys in flight per run, 1 to ${MAX_CONCURRENCY} (default 8)`,
  reservedConcurrency: 'runs of each change function at once (default 2)',
  updatesPerSecond:
    'UpdateService calls per second for the whole stack, a number above 0 and at most 5 (default 2)',
  coalesceWindow:
    'seconds in which changes to one service share one deployment, a whole number from 0 to 900 (default 60)',
  maxReceiveCount:
    'attempts per redeploy message before its dead-letter queue, a whole number from 1 to 1000 (default 5)',
  bundleDir: 'directory holding the built Lambda bundles (default dist/)',
} as const;
type ContextKey = keyof typeof CONTEXT_KEYS;

export function optionsFromContext(context: Readonly<Record<string, unknown>>): AppOptions {
  rejectMisspelledKeys(context);
  const value = (key: ContextKey): unknown => context[key];
  const alarmEmail = optionalString('alarmEmail', value('alarmEmail'));
  const alarmTopicArn = optionalString('alarmTopicArn', value('alarmTopicArn'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw invalid('alarmEmail', alarmEmail);
  }
  if (
    alarmTopicArn !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(alarmTopicArn)
  ) {
    throw invalid('alarmTopicArn', alarmTopicArn);
  }
  if (alarmEmail !== undefined && alarmTopicArn !== undefined) {
    throw new InvalidContextError(
      'Set either alarmEmail (a new topic with that subscription) or alarmTopicArn (your existing topic), not both',
    );
  }
  return {
    dryRun: booleanOf('dryRun', value('dryRun')) ?? false,
    selectionMode: selectionModeOf(value('selectionMode')) ?? 'all',
    cloudTrailFallback: booleanOf('cloudTrailFallback', value('cloudTrailFallback')) ?? false,
    alarmEmail,
    alarmTopicArn,
    logRetention: retentionOf(value('logRetentionDays')),
    concurrency: wholeNumberOf('concurrency', value('concurrency'), 1, MAX_CONCURRENCY),
    reservedConcurrency: wholeNumberOf('reservedConcurrency', value('reservedConcurrency'), 1, 1000),
    updatesPerSecond: rateOf(value('updatesPerSecond')),
    coalesceWindow: secondsOf('coalesceWindow', value('coalesceWindow'), 0, 900),
    maxReceiveCount: wholeNumberOf('maxReceiveCount', value('maxReceiveCount'), 1, 1000),
    bundleDir: optionalString('bundleDir', value('bundleDir')),
  };
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
  if (raw === 'all' || raw === 'tagged') return raw;
  throw invalid('selectionMode', raw);
}

function wholeNumberOf(key: ContextKey, raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < min || number > max) throw invalid(key, raw);
  return number;
}

/** A decimal number above 0 and at most 5 (`0.5`, `2`, `2.5`): the account's UpdateService bucket refills 5 a second. */
function rateOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const number = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || number <= 0 || number > 5) throw invalid('updatesPerSecond', raw);
  return number;
}

function secondsOf(key: ContextKey, raw: unknown, min: number, max: number): Duration | undefined {
  const seconds = wholeNumberOf(key, raw, min, max);
  return seconds === undefined ? undefined : Duration.seconds(seconds);
}

function retentionChoices(): string {
  return retentionValues().join(', ');
}

function retentionValues(): number[] {
  return Object.values(RetentionDays).filter((days): days is number => typeof days === 'number');
}

function retentionOf(raw: unknown): RetentionDays | undefined {
  if (raw === undefined || raw === null) return undefined;
  const days = wholeNumberOf('logRetentionDays', raw, 1, Number.MAX_SAFE_INTEGER);
  if (days === undefined || !retentionValues().includes(days)) throw invalid('logRetentionDays', raw);
  return days as RetentionDays;
}

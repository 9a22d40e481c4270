/**
 * What a change is, as a key: the item and the version its moved label now points to. Every event of one
 * rotation (Secret Label Updated, UpdateSecretVersionStage, RotationSucceeded) gives the same key, so the
 * work is done once per new value however many times and in whatever order it is announced. The audit keys
 * a stale value the same way, so a redeploy the event path already queued is not queued twice.
 */
import type { Change } from './change.ts';

/** `arn|label|version` for Secrets Manager; `arn|version` for SSM. */
export function itemChangeKey(
  kind: Change['kind'],
  arn: string,
  label: string | null,
  version: string,
): string {
  return kind === 'ssm' ? `${arn}|${version}` : `${arn}|${label ?? '-'}|${version}`;
}

/** The key of an event's change; `fallback` (the event) stands in for a version that could not be read. */
export function changeKey(change: Change, version: string | null, fallback: string): string {
  return itemChangeKey(change.kind, change.arn, change.label, version ?? `event:${fallback}`);
}

/** The item a change key is about: its ARN, the part before the first `|` (an ARN never holds one). */
export function itemOfChangeKey(key: string): string {
  const bar = key.indexOf('|');
  return bar < 0 ? key : key.slice(0, bar);
}

/**
 * What a change is, as a key: the item and the version its moved label now points to. Every event of one
 * rotation (Secret Label Updated, UpdateSecretVersionStage, RotationSucceeded) gives the same key, so the
 * work is done once per new value however many times and in whatever order it is announced. The audit keys
 * a stale value the same way, so a redeploy the event path already queued is not queued twice.
 */
import type { Change, ParsedEvent } from './change.ts';

/** `arn|label|version` for Secrets Manager; `arn|version` for SSM. */
export function itemChangeKey(
  kind: Change['kind'],
  arn: string,
  label: string | null,
  version: string,
): string {
  return kind === 'ssm' ? `${arn}|${version}` : `${arn}|${label ?? '-'}|${version}`;
}

/** The key of an event's change; `unversioned` (see `unversionedKey`) stands in for a version that could not be read. */
export function changeKey(change: Change, version: string | null, unversioned: string): string {
  return itemChangeKey(change.kind, change.arn, change.label, version ?? unversioned);
}

const WINDOW = /\|window:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\+(\d+)s$/;

/**
 * What stands for the version when none can be read: another account's parameter (DescribeParameters sees
 * only this account's), or a denied or deleted item.
 *
 * A parameter's events within one coalescing window share one key, `window:START+Ns`, the window of the
 * event's own time: a source forwarded from another account that changes every second then costs one scan
 * a window, not one per event. No change is missed for it, because the queued message of the first event
 * of a window is delayed by the whole window (so it runs after the window has closed), and a deployment
 * that starts before the window has closed never marks the key done (see `coveredBy`): the value new tasks
 * read is then never older than the last event of the window.
 *
 * Without a queue (`coalesceSeconds` null) or with a window of 0, and for secrets, the key is the event's
 * id: duplicate deliveries of one event still share it.
 */
export function unversionedKey(
  change: Change,
  event: Pick<ParsedEvent, 'eventId' | 'time'>,
  coalesceSeconds: number | null,
): string {
  if (change.kind === 'ssm' && event.time !== null && coalesceSeconds !== null && coalesceSeconds > 0) {
    const windowMs = coalesceSeconds * 1000;
    const start = Math.floor(event.time / windowMs) * windowMs;
    return `window:${new Date(start).toISOString()}+${coalesceSeconds}s`;
  }
  return `event:${event.eventId ?? `${change.trigger}:${change.versionId ?? 'unknown'}`}`;
}

/**
 * Whether a deployment that started at `startedAt` (epoch ms) carries the change `key` in full. A windowed key
 * (see `unversionedKey`) stands for every event of its window, so only a deployment started once the window
 * has closed carries them all; any other key is carried by any deployment that started after it was known.
 */
export function coveredBy(key: string, startedAt: number): boolean {
  const window = WINDOW.exec(key);
  if (window === null) return true;
  const end = Date.parse(window[1] ?? '') + Number(window[2]) * 1000;
  return startedAt >= end;
}

/** The item a change key is about: its ARN, the part before the first `|` (an ARN never holds one). */
export function itemOfChangeKey(key: string): string {
  const bar = key.indexOf('|');
  return bar < 0 ? key : key.slice(0, bar);
}

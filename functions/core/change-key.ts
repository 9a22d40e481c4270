/**
 * What a change is, as a key: the item and the version its moved label now points to. Every event of one
 * rotation (Secret Label Updated, UpdateSecretVersionStage, RotationSucceeded) gives the same key, so the
 * work is done once per new value however many times and in whatever order it is announced.
 */
import type { Change } from './change.ts';

/** `arn|label|version` for Secrets Manager; `arn|version` for SSM. */
export function changeKey(change: Change, version: string | null, fallback: string): string {
  const at = version ?? `event:${fallback}`;
  return change.kind === 'ssm' ? `${change.arn}|${at}` : `${change.arn}|${change.label ?? '-'}|${at}`;
}

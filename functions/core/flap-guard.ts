/**
 * The flap guard: at most `limit` forced deployments of one service by this tool in any hour. A source
 * that changes every second would otherwise restart a service's tasks for as long as it keeps changing.
 * A change past the limit is deferred, never dropped: its key stays pending on the service, and one
 * message waits in the queue until the hour allows, then carries every change deferred meanwhile into
 * one deployment. Pure: the worker hands in what the state table holds and the time.
 */

/** The guard counts deployments over a sliding hour. */
export const FLAP_WINDOW_MS = 3_600_000;

/** SQS delays a message at most 15 minutes: a longer wait is several trips through the queue. */
export const MAX_DEFER_SECONDS = 900;

/** What the state table keeps per service for the guard: bounded (at most `limit` starts) and expiring. */
export interface FlapRecord {
  /** When this tool's most recent forced deployments of the service started (epoch ms), oldest first. */
  readonly starts: readonly number[];
  /** When the deferred message now waiting in the queue becomes visible again (epoch ms); null: none waits. */
  readonly deferredUntil: number | null;
}

export const NO_FLAPS: FlapRecord = { starts: [], deferredUntil: null };

export type FlapVerdict =
  | { readonly allowed: true }
  /** The limit is reached: the next deployment may start at `allowedAt` (epoch ms). */
  | { readonly allowed: false; readonly allowedAt: number; readonly recent: number };

/** The starts that still count at `now`: those of the last hour, at most the newest `limit`. */
function recentStarts(record: FlapRecord, now: number, limit: number): number[] {
  return record.starts
    .filter((start) => start > now - FLAP_WINDOW_MS)
    .sort((a, b) => a - b)
    .slice(-limit);
}

/** Whether a deployment may start at `now`, and if not, when one may. */
export function flapVerdict(record: FlapRecord, now: number, limit: number): FlapVerdict {
  const recent = recentStarts(record, now, limit);
  const oldest = recent[0];
  if (recent.length < limit || oldest === undefined) return { allowed: true };
  // The oldest of the last `limit` starts leaves the window an hour after it began.
  return { allowed: false, allowedAt: oldest + FLAP_WINDOW_MS, recent: recent.length };
}

/** The record after a deployment started at `now`: the newest `limit` starts, no deferred message left. */
export function recordStart(record: FlapRecord, now: number, limit: number): FlapRecord {
  return { starts: [...recentStarts(record, now, limit), now].slice(-limit), deferredUntil: null };
}

export type Deferral =
  /**
   * Send the change back to the queue after `delaySeconds`, marked as the message due at `deferredUntil`;
   * `record` notes that it waits.
   */
  | {
      readonly kind: 'wait';
      readonly delaySeconds: number;
      readonly deferredUntil: number;
      readonly record: FlapRecord;
    }
  /**
   * Another deferred message already waits for this service and will carry this change (its key is
   * pending on the service): this message is folded into it, and nothing more is sent.
   */
  | { readonly kind: 'fold'; readonly until: number };

/**
 * What to do with a message for a service the guard holds back until `allowedAt`. Only one message per
 * service waits: the others fold into it, so a flapping source costs one message, not one per change.
 * @param ownDeferral the `deferredUntil` the message itself was sent back with, if it is a deferred copy:
 *   the waiting message must never fold into itself (a clock a little ahead would otherwise drop it).
 */
export function deferral(
  record: FlapRecord,
  now: number,
  allowedAt: number,
  ownDeferral: number | null = null,
): Deferral {
  const waiting = record.deferredUntil;
  if (waiting !== null && waiting > now && waiting !== ownDeferral) return { kind: 'fold', until: waiting };
  const delaySeconds = Math.max(1, Math.min(MAX_DEFER_SECONDS, Math.ceil((allowedAt - now) / 1000)));
  const deferredUntil = now + delaySeconds * 1000;
  return { kind: 'wait', delaySeconds, deferredUntil, record: { starts: record.starts, deferredUntil } };
}

/** When the record may be forgotten (epoch ms): nothing in it counts any more. */
export function flapRecordExpiresAt(record: FlapRecord): number {
  const lastStart = Math.max(0, ...record.starts);
  return Math.max(lastStart + FLAP_WINDOW_MS, record.deferredUntil ?? 0);
}

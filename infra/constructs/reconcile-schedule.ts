/**
 * The reconcile's schedule: an EventBridge `rate(...)` or `cron(...)` expression, checked before deploying (a
 * bad one would fail only in CloudFormation), and the time between two runs the stale-services alarm needs.
 */
import { Duration } from 'aws-cdk-lib';

/** A schedule EventBridge accepts, with the time between its runs when that is fixed (a rate). */
export interface ReconcileSchedule {
  readonly expression: string;
  /** Between two runs of a rate; null for a cron expression, whose runs need not be evenly spaced. */
  readonly interval: Duration | null;
}

/**
 * A run may last as long as the function's timeout (15 minutes) when it scans a large account at its paced
 * share: a shorter rate would start a run while the last one still scans.
 */
export const SHORTEST_RATE = Duration.minutes(15);
/**
 * The stale-services alarm watches two runs, and CloudWatch evaluates an alarm over at most 7 days
 * (period times evaluation periods): two runs 3 days apart fit, 4 days apart do not.
 */
export const LONGEST_RATE = Duration.days(3);

/** What a schedule must be, in the words every error about one uses. */
export const SCHEDULE_WORDS = `rate(N minutes|hours|days) from ${SHORTEST_RATE.toMinutes()} minutes to ${LONGEST_RATE.toDays()} days (rate(1 hour), singular for 1), or cron(minutes hours day-of-month month day-of-week year) with ? in day-of-month or day-of-week`;

const UNITS = { minute: Duration.minutes, hour: Duration.hours, day: Duration.days } as const;

/** The schedule the text describes, or why it is refused: what it must be, and what it got. */
export function parseReconcileSchedule(text: string): ReconcileSchedule | { readonly problem: string } {
  const expression = text.trim();
  const rate = /^rate\((\d+) (minute|hour|day)(s?)\)$/.exec(expression);
  if (rate !== null) {
    const count = Number(rate[1]);
    const unit = rate[2] as keyof typeof UNITS;
    // EventBridge's own rule: rate(1 hour) but rate(2 hours).
    if (count === 0) return { problem: `a rate of a positive number, got "${expression}"` };
    if ((count === 1) !== (rate[3] === '')) {
      return {
        problem: `written as EventBridge writes it, rate(1 ${unit}) or rate(${Math.max(count, 2)} ${unit}s), got "${expression}"`,
      };
    }
    const interval = UNITS[unit](count);
    const seconds = interval.toSeconds();
    if (seconds < SHORTEST_RATE.toSeconds() || seconds > LONGEST_RATE.toSeconds()) {
      return {
        problem: `a rate from ${SHORTEST_RATE.toMinutes()} minutes (a run may last the function's 15-minute timeout) to ${LONGEST_RATE.toDays()} days (the alarm watches two runs within CloudWatch's 7-day evaluation), got "${expression}"`,
      };
    }
    return { expression, interval };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron !== null) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) {
      return {
        problem: `a cron expression of 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length} in "${expression}"`,
      };
    }
    if (fields[2] !== '?' && fields[4] !== '?') {
      return { problem: `a cron expression with ? in day-of-month or day-of-week, got "${expression}"` };
    }
    return { expression, interval: null };
  }
  return { problem: `${SCHEDULE_WORDS}, got "${expression}"` };
}

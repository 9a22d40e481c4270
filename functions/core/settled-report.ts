/**
 * The ledger of one change (each service it redeployed, and how that service's rollout stands) and the one
 * settled report made from it when the last rollout ends or the deadline passes. Pure: the adapters keep the
 * ledger, the settle use case decides when it is settled.
 */
import type { ReportedChange } from './report.ts';
import {
  countRollouts,
  type RolloutCounts,
  type RolloutEnd,
  type RolloutState,
  secondsBetween,
} from './rollout.ts';
import type { ServiceRef } from './service.ts';

/** `pending`: handed to the redeploy queue, no deployment started yet. */
export type LedgerState = RolloutState | 'pending';

/** One service of a change's ledger. */
export interface LedgerEntry {
  readonly service: ServiceRef;
  /** The deployment the tool started for it; null while pending, or when it could not be redeployed. */
  readonly deploymentId: string | null;
  readonly state: LedgerState;
  readonly reason: string | null;
  /** When it ended (ECS's time, or when it was seen ended), milliseconds since the epoch; null until then. */
  readonly endedAt: number | null;
}

export interface Ledger {
  readonly changeKey: string;
  /** The change, as its change function reported it; null when only a coalesced deployment named the key. */
  readonly change: ReportedChange | null;
  /** When a change function handled the change: the seconds of each service count from here. */
  readonly changeSeenAt: number | null;
  /** After this, what has not ended is `timed-out`. */
  readonly deadline: number | null;
  readonly entries: readonly LedgerEntry[];
  /** Whether its settled report has been made (once, by a conditional write). */
  readonly settled: boolean;
}

export interface SettledService {
  readonly service: ServiceRef;
  readonly deploymentId: string | null;
  readonly state: RolloutEnd;
  readonly reason: string | null;
  /** From the change to the rollout's end; null when it did not end (timed-out). */
  readonly seconds: number | null;
}

export interface SettledReport {
  readonly changeKey: string;
  readonly change: ReportedChange | null;
  readonly services: readonly SettledService[];
  readonly summary: RolloutCounts & {
    readonly services: number;
    /** Services whose tasks now read the new value: completed and superseded. */
    readonly onNewValue: number;
  };
  /** From the change to the last rollout's end (or the deadline). */
  readonly seconds: number | null;
}

const ENDED: ReadonlySet<LedgerState> = new Set<LedgerState>([
  'completed',
  'failed',
  'superseded',
  'timed-out',
]);

export function isEnded(state: LedgerState): state is RolloutEnd {
  return ENDED.has(state);
}

/**
 * Whether the ledger can be settled at `now`: every service has ended, or the deadline has passed. An empty
 * ledger never settles (nothing was handed to the queue for it).
 */
export function isSettleable(ledger: Ledger, now: number): boolean {
  if (ledger.entries.length === 0) return false;
  if (ledger.entries.every((entry) => isEnded(entry.state))) return true;
  return ledger.deadline !== null && now >= ledger.deadline;
}

function settledService(entry: LedgerEntry, from: number | null): SettledService {
  const { service, deploymentId } = entry;
  if (!isEnded(entry.state)) {
    const seen =
      entry.state === 'pending' ? 'no deployment was started for it' : (entry.reason ?? 'in progress');
    return {
      service,
      deploymentId,
      state: 'timed-out',
      reason: `not ended by the deadline (last seen: ${seen})`,
      seconds: null,
    };
  }
  const seconds =
    entry.state === 'timed-out' || from === null || entry.endedAt === null
      ? null
      : secondsBetween(from, entry.endedAt);
  return { service, deploymentId, state: entry.state, reason: entry.reason, seconds };
}

/** The settled report of a ledger at `now`: what has not ended by then is reported timed-out. */
export function settledReport(ledger: Ledger, now: number): SettledReport {
  const services = [...ledger.entries]
    .sort((a, b) => a.service.serviceArn.localeCompare(b.service.serviceArn))
    .map((entry) => settledService(entry, ledger.changeSeenAt));
  const counts = countRollouts(services);
  const ends = services.map((service) => service.seconds).filter((seconds) => seconds !== null);
  const timedOut = counts.timedOut > 0;
  const lastEnd = ends.length === 0 ? null : Math.max(...ends);
  return {
    changeKey: ledger.changeKey,
    change: ledger.change,
    services,
    summary: {
      services: services.length,
      onNewValue: counts.completed + counts.superseded,
      ...counts,
    },
    seconds: timedOut && ledger.changeSeenAt !== null ? secondsBetween(ledger.changeSeenAt, now) : lastEnd,
  };
}

/** Which settled reports are published: those with a failed or timed-out rollout, or every one. */
export const NOTIFY_ON = ['failures', 'all'] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];

export function shouldNotify(report: SettledReport, notifyOn: NotifyOn): boolean {
  return notifyOn === 'all' || report.summary.rolloutFailed + report.summary.timedOut > 0;
}

/** SNS takes a subject of less than 100 characters. */
export const SUBJECT_MAX = 99;

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * A subject readable at a glance, e.g. `prod/db-password: 11 of 12 services on the new value, 1 rollout
 * failed`. The item's name is shortened (never the counts) to fit SNS's limit. SNS refuses line breaks and
 * control characters in a subject, and e-mail clients mangle what is not ASCII, so any such character of a
 * name is shown as `?`.
 */
export function notificationSubject(report: SettledReport): string {
  const { summary } = report;
  const parts = [
    `${summary.onNewValue} of ${plural(summary.services, 'service', 'services')} on the new value`,
  ];
  if (summary.rolloutFailed > 0) parts.push(`${plural(summary.rolloutFailed, 'rollout', 'rollouts')} failed`);
  if (summary.timedOut > 0) parts.push(`${summary.timedOut} timed out`);
  const tail = `: ${parts.join(', ')}`;
  const name = (report.change?.name ?? report.changeKey).replace(/[^\x20-\x7e]/g, '?');
  const room = SUBJECT_MAX - tail.length;
  const shown = name.length <= room ? name : `${name.slice(0, Math.max(0, room - 3))}...`;
  return `${shown}${tail}`.slice(0, SUBJECT_MAX);
}

/**
 * Settles the deployments the tool started, from two sources: ECS Deployment State Change events, and a
 * delayed check that polls what no event settled (ECS sends FAILED only where the circuit breaker is on, and
 * nothing at all for CodeDeploy). Each ended rollout goes into its changes' ledgers; the change whose last
 * rollout ended (or whose deadline passed) gets one `redeploy settled` line, its metrics and, when it
 * qualifies, one notification.
 */
import { LOG_MESSAGES, METRICS, SERVICE_LOG_KEY } from '../contract.ts';
import { parseDeploymentEvent, verdictFromEvent } from '../core/deployment-event.ts';
import type {
  Invocation,
  Notifier,
  RolloutLedger,
  RolloutReader,
  SettleChecks,
  Telemetry,
  TrackedDeployment,
} from '../core/ports.ts';
import { failureReason } from '../core/report.ts';
import { isBadEnd, type RolloutVerdict, withStoppedTaskReason } from '../core/rollout.ts';
import { parseSettleMessage } from '../core/settle-message.ts';
import {
  isSettleable,
  type Ledger,
  type NotifyOn,
  notificationSubject,
  type SettledReport,
  settledReport,
  shouldNotify,
} from '../core/settled-report.ts';
import { checkRollout } from './follow-rollouts.ts';

export interface SettlePorts {
  readonly ledger: RolloutLedger;
  readonly readers: readonly RolloutReader[];
  readonly checks: SettleChecks;
  readonly telemetry: Telemetry;
  /** Where qualifying settled reports are published; none when no topic is configured. */
  readonly notifier?: Notifier | undefined;
}

export interface SettleOptions {
  readonly notifyOn: NotifyOn;
}

/** How long the delayed check waits between two looks: events settle most rollouts long before. */
export const CHECK_EVERY_SECONDS = 300;
/** SQS delays a message at most 15 minutes. */
const SQS_MAX_DELAY_SECONDS = 900;

/** Seconds until the next look: every CHECK_EVERY_SECONDS, the last one at the deadline. */
export function nextCheckDelaySeconds(now: number, deadline: number): number {
  const left = Math.ceil((deadline - now) / 1000);
  return Math.max(1, Math.min(CHECK_EVERY_SECONDS, SQS_MAX_DELAY_SECONDS, left));
}

export type SettleStep =
  /** Not a deployment the tool started (or its record expired): dropped after one lookup. */
  | 'not-ours'
  /** Still in progress: the delayed check will look again. */
  | 'in-progress'
  /** Its end is recorded in its changes' ledgers. */
  | 'recorded';

/** One record of the settle queue: an ECS Deployment State Change event, a look at a deployment or at a change. */
export async function settleQueueRecord(
  body: string,
  ports: SettlePorts,
  options: SettleOptions,
  invocation: Invocation,
): Promise<SettleStep> {
  const message = parseSettleMessage(body);
  if ('event' in message) return settleFromEvent(message.event, ports, options, invocation);
  if ('deploymentId' in message) return settleFromCheck(message.deploymentId, ports, options, invocation);
  return settleChange(message.changeKey, message.watch === true, ports, options, invocation);
}

/** One ECS Deployment State Change event. */
export async function settleFromEvent(
  event: unknown,
  ports: SettlePorts,
  options: SettleOptions,
  invocation: Invocation,
): Promise<SettleStep> {
  const change = parseDeploymentEvent(event);
  const tracked = await ports.ledger.tracked(change.deploymentId);
  if (tracked === null) return 'not-ours';
  let verdict = verdictFromEvent(tracked.started, change);
  if (verdict === null || verdict.state === 'in-progress') return 'in-progress';
  if (verdict.state === 'failed') {
    const reader = ports.readers.find((candidate) => candidate.via === tracked.started.via);
    const stopped = await reader?.stoppedTaskReason(tracked.started).catch(() => null);
    verdict = withStoppedTaskReason(verdict, stopped ?? null);
  }
  await recordVerdict(tracked, verdict, ports, options, invocation.now());
  return 'recorded';
}

/** One delayed check of a deployment: a look now, and another later while it runs and the deadline is ahead. */
export async function settleFromCheck(
  deploymentId: string,
  ports: SettlePorts,
  options: SettleOptions,
  invocation: Invocation,
): Promise<SettleStep> {
  const tracked = await ports.ledger.tracked(deploymentId);
  if (tracked === null) return 'not-ours';
  const now = invocation.now();
  const verdict = await checkRollout(tracked.started, ports.readers, now, tracked.deadline);
  if (verdict.state === 'in-progress') {
    await ports.checks.schedule(deploymentId, nextCheckDelaySeconds(now, tracked.deadline));
    return 'in-progress';
  }
  await recordVerdict(tracked, verdict, ports, options, now);
  return 'recorded';
}

/**
 * One look at a change: settled if it is done or past its deadline. Asked by the worker when a service
 * could not be redeployed, and (`watch`) from the change functions' first look on, each watching look asking
 * for the next until the change is settled: so a change settles at its deadline even when a service never
 * started a deployment to follow.
 */
export async function settleChange(
  changeKey: string,
  watch: boolean,
  ports: SettlePorts,
  options: SettleOptions,
  invocation: Invocation,
): Promise<SettleStep> {
  const ledger = await ports.ledger.ledger(changeKey);
  if (ledger === null) return 'not-ours';
  if (ledger.settled) return 'recorded';
  const now = invocation.now();
  if ((await settleIfDone(ledger, ports, options, now)) !== null) return 'recorded';
  if (watch && ledger.deadline !== null && !isSettleable(ledger, now)) {
    await ports.checks.watchChange(changeKey, nextCheckDelaySeconds(now, ledger.deadline));
  }
  return 'in-progress';
}

async function recordVerdict(
  tracked: TrackedDeployment,
  verdict: RolloutVerdict,
  ports: SettlePorts,
  options: SettleOptions,
  now: number,
): Promise<void> {
  const { service, deploymentId } = tracked.started;
  if (verdict.state === 'in-progress') return;
  for (const changeKey of tracked.changeKeys) {
    const ledger = await ports.ledger.recordEnd(changeKey, {
      service,
      deploymentId,
      state: verdict.state,
      reason: verdict.reason,
      endedAt: verdict.state === 'timed-out' ? null : (verdict.endedAt ?? now),
    });
    if (ledger !== null) await settleIfDone(ledger, ports, options, now);
  }
}

/**
 * Settles the ledger when its last rollout has ended or its deadline has passed: the one caller whose
 * conditional write marks it settled logs, counts and publishes; every other caller does nothing.
 */
export async function settleIfDone(
  ledger: Ledger,
  ports: SettlePorts,
  options: SettleOptions,
  now: number,
): Promise<SettledReport | null> {
  if (!isSettleable(ledger, now)) return null;
  if (!(await ports.ledger.markSettled(ledger.changeKey, now))) return null;
  const report = settledReport(ledger, now);
  const { telemetry } = ports;
  const bad = report.summary.rolloutFailed + report.summary.timedOut > 0;
  if (bad) telemetry.warn(LOG_MESSAGES.redeploySettled, { report });
  else telemetry.info(LOG_MESSAGES.redeploySettled, { report });
  telemetry.count(METRICS.RolloutsCompleted, report.summary.completed + report.summary.superseded);
  telemetry.count(METRICS.RolloutsFailed, report.summary.rolloutFailed);
  telemetry.count(METRICS.RolloutsTimedOut, report.summary.timedOut);
  for (const settled of report.services) {
    if (settled.seconds !== null) telemetry.seconds(METRICS.SecondsToSettle, settled.seconds);
    if (!isBadEnd(settled.state)) continue;
    telemetry.warn(LOG_MESSAGES.rolloutNotCompleted, {
      [SERVICE_LOG_KEY]: settled.service,
      rollout: {
        state: settled.state,
        reason: settled.reason,
        seconds: settled.seconds,
        deploymentId: settled.deploymentId,
      },
      change: report.change,
      changeKey: report.changeKey,
    });
  }
  if (ports.notifier !== undefined && shouldNotify(report, options.notifyOn)) {
    try {
      await ports.notifier.publish(notificationSubject(report), JSON.stringify(report, null, 2));
    } catch (error) {
      // The ledger is already settled: a retry would not publish again, so say so where operators look.
      telemetry.error(LOG_MESSAGES.notificationFailed, {
        changeKey: report.changeKey,
        reason: failureReason(error),
      });
    }
  }
  return report;
}

/**
 * Rollouts: how a deployment the tool started ends, decided from what ECS (or CodeDeploy) reports about it.
 * Pure rules: the adapters read, these decide, the follower and the settle check only keep time.
 */
import { type CodeDeployDeploymentShape, codeDeployOutcome } from './codedeploy-outcome.ts';
import type { ServiceRef } from './service.ts';

/** Every way a followed deployment ends; shared by the reports, the CLI, the metrics and their texts. */
export const ROLLOUT_ENDS = ['completed', 'failed', 'superseded', 'timed-out'] as const;
export type RolloutEnd = (typeof ROLLOUT_ENDS)[number];
/** `in-progress` only while it is followed: a report never ends on it. */
export type RolloutState = RolloutEnd | 'in-progress';

/** Who carries the deployment out: ECS itself (UpdateService), or CodeDeploy (CreateDeployment). */
export type DeploymentVia = 'ecs' | 'codedeploy';

/** A deployment the tool started and follows. */
export interface StartedDeployment {
  readonly service: ServiceRef;
  /** `ecs-svc/...` for ECS; CodeDeploy's `d-...` id. */
  readonly deploymentId: string;
  readonly via: DeploymentVia;
  /** When the tool started it, in milliseconds since the epoch (the tool's clock). */
  readonly startedAt: number;
}

/** One entry of DescribeServices' `deployments[]`. Times in milliseconds since the epoch (ECS's clock). */
export interface ObservedDeployment {
  readonly id: string;
  /** PRIMARY (the newest), ACTIVE (an older one still running tasks) or INACTIVE. */
  readonly status: string;
  /** IN_PROGRESS, COMPLETED or FAILED: ECS reports it only for rolling deployments (not behind a Classic LB). */
  readonly rolloutState: string | null;
  readonly rolloutStateReason: string | null;
  readonly createdAt: number | null;
  readonly updatedAt: number | null;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
}

/** One service deployment (ListServiceDeployments / DescribeServiceDeployments). */
export interface ObservedServiceDeployment {
  readonly arn: string;
  /** PENDING, IN_PROGRESS, SUCCESSFUL, STOP_REQUESTED, STOPPED, ROLLBACK_REQUESTED/_IN_PROGRESS/_SUCCESSFUL/_FAILED. */
  readonly status: string;
  readonly statusReason: string | null;
  /** Why it rolled back, when it did (e.g. the circuit breaker). */
  readonly rollbackReason: string | null;
  readonly createdAt: number | null;
  /** When it finished or stopped, or was last updated: whichever ECS gives. */
  readonly endedAt: number | null;
}

/** A service event (DescribeServices `events[]`): ECS names failed and rolled-back deployments there. */
export interface ObservedServiceEvent {
  readonly createdAt: number | null;
  readonly message: string;
}

/** What the service and its deployments look like now, read by an adapter. */
export type RolloutObservation =
  /** The service is gone (MISSING), or DRAINING / INACTIVE: no deployment of it can finish. */
  | { readonly kind: 'service-gone'; readonly status: string }
  /** A rolling deployment: `deployments[]` carries the outcome. */
  | {
      readonly kind: 'rolling';
      readonly deployments: readonly ObservedDeployment[];
      readonly events: readonly ObservedServiceEvent[];
    }
  /** BLUE_GREEN, LINEAR or CANARY: the service-deployment APIs carry the outcome. */
  | {
      readonly kind: 'service-deployments';
      readonly strategy: string;
      readonly deployments: readonly ObservedDeployment[];
      readonly serviceDeployments: readonly ObservedServiceDeployment[];
    }
  /** A CodeDeploy deployment (GetDeployment's `deploymentInfo`). */
  | {
      readonly kind: 'codedeploy';
      readonly deployment: CodeDeployDeploymentShape;
      /** `completeTime`, when CodeDeploy gives one. */
      readonly endedAt: number | null;
    };

/** Where a rollout stands according to one observation. */
export interface RolloutVerdict {
  readonly state: RolloutState;
  /** Why it ended so (ECS's words), or what is seen while it is in progress; null when nothing to add. */
  readonly reason: string | null;
  /** When it ended as ECS reports it; null when ECS gave no time (the moment it was seen stands in). */
  readonly endedAt: number | null;
}

/** How a rollout is reported once it ended. */
export interface RolloutOutcome {
  readonly state: RolloutEnd;
  readonly reason: string | null;
  /** From the start it is counted from to its end; null when it did not end (timed-out). */
  readonly seconds: number | null;
}

/**
 * ECS stamps a deployment with its own clock; a service deployment is made in the same moment as the
 * deployment UpdateService answers with. Within this many milliseconds of each other they are one.
 */
export const SAME_MOMENT_MS = 5_000;

const inProgress = (reason: string | null): RolloutVerdict => ({
  state: 'in-progress',
  reason,
  endedAt: null,
});

/** ECS's wording when the circuit breaker (or an alarm) rolls a deployment back. */
const ROLLBACK_WORDS = /rolling back|rolled back|rollback/i;

/** A service event that says the deployment `id` failed or was rolled back. */
function failureEventOf(id: string, events: readonly ObservedServiceEvent[]): string | null {
  const named = events.filter(
    (event) =>
      event.message.includes(id) && (/fail/i.test(event.message) || ROLLBACK_WORDS.test(event.message)),
  );
  named.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  return named[0]?.message ?? null;
}

function settleRolling(
  started: StartedDeployment,
  deployments: readonly ObservedDeployment[],
  events: readonly ObservedServiceEvent[],
): RolloutVerdict {
  const id = started.deploymentId;
  const ours = deployments.find((deployment) => deployment.id === id);
  if (ours?.rolloutState === 'FAILED') {
    return {
      state: 'failed',
      reason: ours.rolloutStateReason ?? `ECS marked ${id} FAILED`,
      endedAt: ours.updatedAt,
    };
  }
  if (ours?.rolloutState === 'COMPLETED')
    return { state: 'completed', reason: null, endedAt: ours.updatedAt };
  const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
  if (primary !== undefined && primary.id !== id) return replacedBy(started, ours, primary, events);
  if (ours === undefined) return inProgress(`ECS lists no deployment ${id} yet`);
  if (ours.rolloutState !== null) return inProgress(`rolloutState ${ours.rolloutState}`);
  // No rollout state (a service behind a Classic Load Balancer): steady means ours is the only deployment
  // left and runs every task it wants.
  const steady =
    deployments.length === 1 && ours.pendingCount === 0 && ours.runningCount >= ours.desiredCount;
  return steady
    ? { state: 'completed', reason: null, endedAt: ours.updatedAt }
    : inProgress(`${ours.runningCount} of ${ours.desiredCount} tasks running`);
}

/** Another deployment is PRIMARY: ours was rolled back, replaced by a later one, or is gone. */
function replacedBy(
  started: StartedDeployment,
  ours: ObservedDeployment | undefined,
  primary: ObservedDeployment,
  events: readonly ObservedServiceEvent[],
): RolloutVerdict {
  const id = started.deploymentId;
  const rollback =
    primary.rolloutStateReason !== null && ROLLBACK_WORDS.test(primary.rolloutStateReason)
      ? primary.rolloutStateReason
      : failureEventOf(id, events);
  if (rollback !== null) return { state: 'failed', reason: rollback, endedAt: primary.createdAt };
  // ECS demotes a deployment only when a newer one becomes PRIMARY; when ours is gone, the times tell.
  const oursCreated = ours?.createdAt ?? null;
  const later =
    ours !== undefined ||
    (primary.createdAt !== null && primary.createdAt > (oursCreated ?? started.startedAt - SAME_MOMENT_MS));
  if (later) return { state: 'superseded', reason: `replaced by ${primary.id}`, endedAt: primary.createdAt };
  return {
    state: 'failed',
    reason: `ECS no longer lists ${id}; the service runs the earlier deployment ${primary.id}`,
    endedAt: null,
  };
}

const ROLLED_BACK = new Set([
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);
const STOPPED = new Set(['STOPPED', 'STOP_REQUESTED']);

/**
 * The service deployment that is ours: the one made in the same moment as our deployment (ECS's clock), or,
 * when ECS no longer lists our deployment, as the tool started it.
 */
export function ourServiceDeployment(
  started: StartedDeployment,
  deployments: readonly ObservedDeployment[],
  serviceDeployments: readonly ObservedServiceDeployment[],
): ObservedServiceDeployment | null {
  const moment =
    deployments.find((deployment) => deployment.id === started.deploymentId)?.createdAt ?? started.startedAt;
  let best: ObservedServiceDeployment | null = null;
  for (const candidate of serviceDeployments) {
    if (candidate.createdAt === null) continue;
    const distance = Math.abs(candidate.createdAt - moment);
    if (distance > SAME_MOMENT_MS) continue;
    if (best === null || distance < Math.abs((best.createdAt ?? 0) - moment)) best = candidate;
  }
  return best;
}

function settleServiceDeployments(
  started: StartedDeployment,
  deployments: readonly ObservedDeployment[],
  serviceDeployments: readonly ObservedServiceDeployment[],
): RolloutVerdict {
  const ours = ourServiceDeployment(started, deployments, serviceDeployments);
  if (ours === null) return inProgress(`ECS lists no service deployment for ${started.deploymentId} yet`);
  if (ours.status === 'SUCCESSFUL') return { state: 'completed', reason: null, endedAt: ours.endedAt };
  if (ROLLED_BACK.has(ours.status)) {
    return {
      state: 'failed',
      reason: joinReasons(ours.statusReason ?? `service deployment ${ours.status}`, ours.rollbackReason),
      endedAt: ours.endedAt,
    };
  }
  const later = serviceDeployments
    .filter((other) => other.arn !== ours.arn && (other.createdAt ?? 0) > (ours.createdAt ?? 0))
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0))[0];
  if (later !== undefined) {
    return { state: 'superseded', reason: `replaced by ${later.arn}`, endedAt: later.createdAt };
  }
  if (STOPPED.has(ours.status)) {
    return {
      state: 'failed',
      reason: ours.statusReason ?? `service deployment ${ours.status}`,
      endedAt: ours.endedAt,
    };
  }
  return inProgress(`service deployment ${ours.status}`);
}

/** CodeDeploy runs one deployment per group at a time, so a CodeDeploy rollout is never superseded. */
function settleCodeDeploy(deployment: CodeDeployDeploymentShape, endedAt: number | null): RolloutVerdict {
  const outcome = codeDeployOutcome(deployment);
  if (outcome.state === 'in-progress')
    return inProgress(outcome.reason ?? `CodeDeploy deployment ${deployment.status ?? 'unknown'}`);
  return { state: outcome.state, reason: outcome.reason, endedAt };
}

/** Where the rollout of `started` stands, from one observation of its service. */
export function verdictOf(started: StartedDeployment, observation: RolloutObservation): RolloutVerdict {
  switch (observation.kind) {
    case 'service-gone':
      return {
        state: 'failed',
        reason: `the service is ${observation.status}: its deployment cannot finish`,
        endedAt: null,
      };
    case 'rolling':
      return settleRolling(started, observation.deployments, observation.events);
    case 'service-deployments':
      return settleServiceDeployments(started, observation.deployments, observation.serviceDeployments);
    case 'codedeploy':
      return settleCodeDeploy(observation.deployment, observation.endedAt);
  }
}

/** A verdict that is still in progress at the deadline becomes `timed-out`, saying what was last seen. */
export function atDeadline(verdict: RolloutVerdict, now: number, deadline: number): RolloutVerdict {
  if (verdict.state !== 'in-progress' || now < deadline) return verdict;
  const seen = verdict.reason === null ? '' : ` (last seen: ${verdict.reason})`;
  return { state: 'timed-out', reason: `not ended by the deadline${seen}`, endedAt: null };
}

/** ECS's reason and a stopped task's, as one line; either may be missing. */
export function joinReasons(first: string | null, second: string | null): string | null {
  if (first === null || first === '') return second;
  if (second === null || second === '' || first.includes(second)) return first;
  return `${first.replace(/[.\s]+$/, '')}. ${second}`;
}

/** A stopped task's reason, added to a failed rollout's: the first sign of a bad value is a task that cannot start. */
export function withStoppedTaskReason(verdict: RolloutVerdict, stoppedReason: string | null): RolloutVerdict {
  if (verdict.state !== 'failed' || stoppedReason === null) return verdict;
  return { ...verdict, reason: joinReasons(verdict.reason, `Stopped task: ${stoppedReason}`) };
}

/** Whole seconds from `from` to `to`, never negative (two clocks may disagree by a little). */
export function secondsBetween(from: number, to: number): number {
  return Math.max(0, Math.round((to - from) / 1000));
}

/**
 * The reported outcome of an ended verdict. `from` is where the seconds count from (the deployment's start, or
 * the change); `seenAt` stands in for the end when ECS gave no time.
 */
export function outcomeOfVerdict(verdict: RolloutVerdict, from: number, seenAt: number): RolloutOutcome {
  if (verdict.state === 'in-progress') throw new RangeError('a rollout in progress has no outcome yet');
  return {
    state: verdict.state,
    reason: verdict.reason,
    seconds: verdict.state === 'timed-out' ? null : secondsBetween(from, verdict.endedAt ?? seenAt),
  };
}

/** Counts per end, under the names the reports use. */
export interface RolloutCounts {
  readonly completed: number;
  readonly superseded: number;
  readonly rolloutFailed: number;
  readonly timedOut: number;
}

export function countRollouts(outcomes: readonly { readonly state: RolloutEnd }[]): RolloutCounts {
  const count = (state: RolloutEnd) => outcomes.filter((outcome) => outcome.state === state).length;
  return {
    completed: count('completed'),
    superseded: count('superseded'),
    rolloutFailed: count('failed'),
    timedOut: count('timed-out'),
  };
}

/** Whether an end leaves the service on the old value (the CLI exits 1, the stack alarms). */
export function isBadEnd(state: RolloutEnd): boolean {
  return state === 'failed' || state === 'timed-out';
}

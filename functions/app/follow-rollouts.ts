/**
 * Follows deployments the tool started until each has ended or the deadline has passed: every `pollMs` it
 * asks ECS (or CodeDeploy) through the readers and lets `core/rollout.ts` decide. The clock and the sleep are
 * injectable, so tests run in virtual time.
 */
import { createLimiter } from '../core/bounded.ts';
import type { RolloutReader } from '../core/ports.ts';
import { failureReason, type Report, withRollouts } from '../core/report.ts';
import {
  atDeadline,
  countRollouts,
  outcomeOfVerdict,
  type RolloutCounts,
  type RolloutOutcome,
  type RolloutVerdict,
  type StartedDeployment,
  verdictOf,
  withStoppedTaskReason,
} from '../core/rollout.ts';

export interface SettledRollout {
  readonly started: StartedDeployment;
  readonly outcome: RolloutOutcome;
}

export interface FollowProgress extends RolloutCounts {
  readonly inProgress: number;
  /** Milliseconds until the deadline, never negative. */
  readonly msLeft: number;
}

export interface FollowOptions {
  /** How long to wait between two looks at the deployments still in progress. */
  readonly pollMs: number;
  /** Milliseconds since the epoch after which a deployment still in progress is `timed-out`. */
  readonly deadline: number;
  /** Deployments looked at in parallel (the ECS client paces the calls anyway). @default 8 */
  readonly concurrency?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** After each look, how many have ended and how. */
  readonly onProgress?: (progress: FollowProgress) => void;
}

/** The reader that follows deployments started through `started.via`. */
function readerFor(readers: readonly RolloutReader[], started: StartedDeployment): RolloutReader {
  const reader = readers.find((candidate) => candidate.via === started.via);
  if (reader === undefined)
    throw new TypeError(`no rollout reader follows deployments made via ${started.via}`);
  return reader;
}

/**
 * One look at one deployment: where it stands at `now`, with a stopped task's reason added when it failed.
 * A read that fails leaves it in progress (and says so when the deadline makes it `timed-out`).
 */
export async function checkRollout(
  started: StartedDeployment,
  readers: readonly RolloutReader[],
  now: number,
  deadline: number,
): Promise<RolloutVerdict> {
  const reader = readerFor(readers, started);
  let verdict: RolloutVerdict;
  try {
    verdict = verdictOf(started, await reader.observe(started));
  } catch (error) {
    verdict = { state: 'in-progress', reason: `could not read it: ${failureReason(error)}`, endedAt: null };
  }
  if (verdict.state === 'failed') {
    const stopped = await reader.stoppedTaskReason(started).catch(() => null);
    verdict = withStoppedTaskReason(verdict, stopped);
  }
  return atDeadline(verdict, now, deadline);
}

/** Follows every deployment in `started`; returns one outcome each, in the order given. */
export async function followRollouts(
  started: readonly StartedDeployment[],
  readers: readonly RolloutReader[],
  options: FollowOptions,
): Promise<SettledRollout[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const limit = createLimiter(options.concurrency ?? 8);
  for (const deployment of started) readerFor(readers, deployment);
  const outcomes = new Map<StartedDeployment, RolloutOutcome>();
  let pending = [...started];
  while (pending.length > 0) {
    const lookedAt = now();
    const verdicts = await Promise.all(
      pending.map((deployment) => limit(() => checkRollout(deployment, readers, lookedAt, options.deadline))),
    );
    const seenAt = now();
    pending = pending.filter((deployment, index) => {
      const verdict = verdicts[index];
      if (verdict === undefined || verdict.state === 'in-progress') return true;
      outcomes.set(deployment, outcomeOfVerdict(verdict, deployment.startedAt, seenAt));
      return false;
    });
    const msLeft = Math.max(0, options.deadline - seenAt);
    options.onProgress?.({ ...countRollouts([...outcomes.values()]), inProgress: pending.length, msLeft });
    if (pending.length > 0) await sleep(Math.max(1, Math.min(options.pollMs, msLeft)));
  }
  return started.map((deployment) => {
    const outcome = outcomes.get(deployment);
    if (outcome === undefined) throw new Error(`no outcome for ${deployment.deploymentId}`);
    return { started: deployment, outcome };
  });
}

export interface SettleOptions extends Omit<FollowOptions, 'deadline'> {
  /** How long to follow, from now: whatever has not ended by then is `timed-out`. */
  readonly timeoutMs: number;
  /** When the run began (milliseconds since the epoch): each rollout's seconds count from here. */
  readonly runStartedAt: number;
}

/**
 * Follows every deployment a direct run started (`redeployed` with a deployment id) and returns the settled
 * report. A redeployed service whose deployment ECS did not name cannot be followed: it is `timed-out` at
 * once, saying so, since nothing tells whether it ended.
 */
export async function settleReport(
  report: Report,
  readers: readonly RolloutReader[],
  options: SettleOptions,
): Promise<Report> {
  const now = options.now ?? Date.now;
  const redeployed = report.services.filter((service) => service.action === 'redeployed');
  const started: StartedDeployment[] = redeployed.flatMap((service) =>
    service.deploymentId === null
      ? []
      : [
          {
            service: {
              serviceArn: service.serviceArn,
              serviceName: service.serviceName,
              clusterArn: service.clusterArn,
            },
            deploymentId: service.deploymentId,
            // The report names who deploys the service: CodeDeploy's deployments are followed through it.
            via: service.via ?? 'ecs',
            startedAt: options.runStartedAt,
          },
        ],
  );
  const settled = await followRollouts(started, readers, { ...options, deadline: now() + options.timeoutMs });
  const rollouts = new Map<string, RolloutOutcome>(
    settled.map(({ started: deployment, outcome }) => [deployment.service.serviceArn, outcome]),
  );
  for (const service of redeployed) {
    if (service.deploymentId !== null) continue;
    rollouts.set(service.serviceArn, {
      state: 'timed-out',
      reason: 'ECS did not name the deployment it started, so its end could not be followed',
      seconds: null,
    });
  }
  return withRollouts(report, rollouts);
}

import { describe, expect, it } from 'vitest';
import {
  atDeadline,
  countRollouts,
  joinReasons,
  type ObservedDeployment,
  type ObservedServiceDeployment,
  outcomeOfVerdict,
  type RolloutObservation,
  type StartedDeployment,
  verdictOf,
  withStoppedTaskReason,
} from '../../functions/core/rollout.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const OURS = 'ecs-svc/2000000000000000002';
const BEFORE = 'ecs-svc/1000000000000000001';
const LATER = 'ecs-svc/3000000000000000003';
const ROLLBACK = 'ecs-svc/4000000000000000004';

const started: StartedDeployment = {
  service: {
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api',
    serviceName: 'api',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  },
  deploymentId: OURS,
  via: 'ecs',
  startedAt: T0,
};

function deployment(
  id: string,
  status: string,
  overrides: Partial<ObservedDeployment> = {},
): ObservedDeployment {
  return {
    id,
    status,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: null,
    createdAt: id === BEFORE ? T0 - 3_600_000 : id === OURS ? T0 + 200 : T0 + 60_000,
    updatedAt: T0 + 90_000,
    desiredCount: 2,
    runningCount: 1,
    pendingCount: 1,
    ...overrides,
  };
}

const rolling = (deployments: ObservedDeployment[], events: string[] = []): RolloutObservation => ({
  kind: 'rolling',
  deployments,
  events: events.map((message, index) => ({ createdAt: T0 + index * 1000, message })),
});

describe('verdictOf a rolling deployment', () => {
  it.each<[string, RolloutObservation, { state: string; reason: string | null }]>([
    [
      'completed when ECS says COMPLETED',
      rolling([
        deployment(OURS, 'PRIMARY', {
          rolloutState: 'COMPLETED',
          rolloutStateReason: `ECS deployment ${OURS} completed.`,
        }),
      ]),
      { state: 'completed', reason: null },
    ],
    [
      'failed with ECS reason when the circuit breaker stopped it',
      rolling([
        deployment(OURS, 'PRIMARY', {
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: task failed to start.',
        }),
        deployment(BEFORE, 'ACTIVE', { rolloutState: 'COMPLETED' }),
      ]),
      { state: 'failed', reason: 'ECS deployment circuit breaker: task failed to start.' },
    ],
    [
      'failed when the circuit breaker rolled it back (ours gone, a rollback PRIMARY)',
      rolling([
        deployment(ROLLBACK, 'PRIMARY', {
          rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${BEFORE}.`,
        }),
      ]),
      { state: 'failed', reason: `ECS deployment circuit breaker: rolling back to deploymentId ${BEFORE}.` },
    ],
    [
      'failed when a service event says it failed, though the rollback already completed',
      rolling(
        [
          deployment(ROLLBACK, 'PRIMARY', {
            rolloutState: 'COMPLETED',
            rolloutStateReason: `ECS deployment ${ROLLBACK} completed.`,
          }),
        ],
        [`(service api) (deployment ${OURS}) deployment failed: tasks failed to start.`],
      ),
      {
        state: 'failed',
        reason: `(service api) (deployment ${OURS}) deployment failed: tasks failed to start.`,
      },
    ],
    [
      'superseded when a later deployment is PRIMARY and ours is still listed',
      rolling([deployment(LATER, 'PRIMARY'), deployment(OURS, 'ACTIVE')]),
      { state: 'superseded', reason: `replaced by ${LATER}` },
    ],
    [
      'superseded when ours is gone and a later deployment is PRIMARY',
      rolling([deployment(LATER, 'PRIMARY')]),
      { state: 'superseded', reason: `replaced by ${LATER}` },
    ],
    [
      'failed when ours is gone and the service runs an earlier deployment',
      rolling([deployment(BEFORE, 'PRIMARY', { rolloutState: 'COMPLETED' })]),
      {
        state: 'failed',
        reason: `ECS no longer lists ${OURS}; the service runs the earlier deployment ${BEFORE}`,
      },
    ],
    [
      'in progress while ECS says IN_PROGRESS',
      rolling([deployment(OURS, 'PRIMARY'), deployment(BEFORE, 'ACTIVE', { rolloutState: 'COMPLETED' })]),
      { state: 'in-progress', reason: 'rolloutState IN_PROGRESS' },
    ],
    [
      'completed without a rollout state once ours alone runs every task (Classic Load Balancer)',
      rolling([deployment(OURS, 'PRIMARY', { rolloutState: null, runningCount: 2, pendingCount: 0 })]),
      { state: 'completed', reason: null },
    ],
    [
      'in progress without a rollout state while the old tasks still run',
      rolling([
        deployment(OURS, 'PRIMARY', { rolloutState: null, runningCount: 2, pendingCount: 0 }),
        deployment(BEFORE, 'ACTIVE', { rolloutState: null }),
      ]),
      { state: 'in-progress', reason: '2 of 2 tasks running' },
    ],
    [
      'failed when the service was deleted',
      { kind: 'service-gone', status: 'INACTIVE' },
      { state: 'failed', reason: 'the service is INACTIVE: its deployment cannot finish' },
    ],
  ])('%s', (_, observation, expected) => {
    expect(verdictOf(started, observation)).toMatchObject(expected);
  });

  it('dates a completed rollout by ECS, not by when it was seen', () => {
    const verdict = verdictOf(
      started,
      rolling([deployment(OURS, 'PRIMARY', { rolloutState: 'COMPLETED', updatedAt: T0 + 95_000 })]),
    );

    expect(outcomeOfVerdict(verdict, T0, T0 + 600_000)).toEqual({
      state: 'completed',
      reason: null,
      seconds: 95,
    });
  });
});

const serviceDeployment = (
  name: string,
  status: string,
  createdAt: number,
  overrides: Partial<ObservedServiceDeployment> = {},
): ObservedServiceDeployment => ({
  arn: `arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/${name}`,
  status,
  statusReason: null,
  rollbackReason: null,
  createdAt,
  endedAt: createdAt + 120_000,
  ...overrides,
});

const blueGreen = (serviceDeployments: ObservedServiceDeployment[]): RolloutObservation => ({
  kind: 'service-deployments',
  strategy: 'BLUE_GREEN',
  // ECS lists our deployment without a rollout state: its createdAt ties it to its service deployment.
  deployments: [deployment(OURS, 'PRIMARY', { rolloutState: null })],
  serviceDeployments,
});

describe('verdictOf a BLUE_GREEN, LINEAR or CANARY deployment', () => {
  it.each<[string, RolloutObservation, { state: string; reason: string | null }]>([
    [
      'completed when its service deployment is SUCCESSFUL',
      blueGreen([
        serviceDeployment('before', 'SUCCESSFUL', T0 - 3_600_000),
        serviceDeployment('ours', 'SUCCESSFUL', T0 + 900),
      ]),
      { state: 'completed', reason: null },
    ],
    [
      'failed with ECS reasons when it rolled back',
      blueGreen([
        serviceDeployment('ours', 'ROLLBACK_SUCCESSFUL', T0 + 900, {
          statusReason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.',
          rollbackReason: 'Circuit breaker initiated rollback.',
        }),
      ]),
      {
        state: 'failed',
        reason:
          'Service deployment rolled back because the circuit breaker threshold was exceeded. Circuit breaker initiated rollback.',
      },
    ],
    [
      'failed when someone stopped it and nothing replaced it',
      blueGreen([serviceDeployment('ours', 'STOPPED', T0 + 900, { statusReason: 'Stopped by user.' })]),
      { state: 'failed', reason: 'Stopped by user.' },
    ],
    [
      'superseded when a later service deployment stopped it',
      blueGreen([
        serviceDeployment('ours', 'STOPPED', T0 + 900),
        serviceDeployment('later', 'IN_PROGRESS', T0 + 60_000),
      ]),
      {
        state: 'superseded',
        reason: 'replaced by arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/later',
      },
    ],
    [
      'in progress while a lifecycle hook holds it',
      blueGreen([serviceDeployment('ours', 'IN_PROGRESS', T0 + 900)]),
      { state: 'in-progress', reason: 'service deployment IN_PROGRESS' },
    ],
    [
      'in progress while ECS lists no service deployment made with ours (a CI deployment an hour before is not ours)',
      blueGreen([serviceDeployment('before', 'SUCCESSFUL', T0 - 3_600_000)]),
      { state: 'in-progress', reason: `ECS lists no service deployment for ${OURS} yet` },
    ],
  ])('%s', (_, observation, expected) => {
    expect(verdictOf(started, observation)).toMatchObject(expected);
  });
});

describe('verdictOf a CodeDeploy deployment', () => {
  const error = { code: 'HEALTH_CONSTRAINTS', message: 'too many unhealthy replacement tasks' };
  it.each([
    ['Succeeded', 'completed', null],
    [
      'Failed',
      'failed',
      'CodeDeploy deployment failed: HEALTH_CONSTRAINTS: too many unhealthy replacement tasks',
    ],
    [
      'Stopped',
      'failed',
      'CodeDeploy deployment stopped: HEALTH_CONSTRAINTS: too many unhealthy replacement tasks',
    ],
    ['InProgress', 'in-progress', 'CodeDeploy deployment InProgress'],
    ['Baking', 'in-progress', 'CodeDeploy deployment Baking'],
    [
      'Ready',
      'in-progress',
      'waiting for traffic to be rerouted to the replacement task set (CodeDeploy ContinueDeployment)',
    ],
  ])('%s is %s', (status, state, reason) => {
    const observation: RolloutObservation = {
      kind: 'codedeploy',
      deployment: { status, errorInformation: error },
      endedAt: 1_000,
    };

    expect(verdictOf({ ...started, via: 'codedeploy', deploymentId: 'd-ABCDEF123' }, observation)).toEqual({
      state,
      reason,
      endedAt: state === 'in-progress' ? null : 1_000,
    });
  });

  it('names the deployment that rolled a failed one back', () => {
    const observation: RolloutObservation = {
      kind: 'codedeploy',
      deployment: { status: 'Failed', rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' } },
      endedAt: null,
    };
    expect(verdictOf({ ...started, via: 'codedeploy', deploymentId: 'd-1' }, observation).reason).toBe(
      'CodeDeploy deployment failed (rolled back by d-ROLLBACK1)',
    );
  });
});

describe('the deadline, reasons and counts', () => {
  const running = { state: 'in-progress' as const, reason: 'rolloutState IN_PROGRESS', endedAt: null };

  it('times out a rollout still in progress at the deadline, saying what was last seen', () => {
    expect(atDeadline(running, T0 + 1000, T0 + 1000)).toEqual({
      state: 'timed-out',
      reason: 'not ended by the deadline (last seen: rolloutState IN_PROGRESS)',
      endedAt: null,
    });
    expect(atDeadline(running, T0 + 999, T0 + 1000)).toBe(running);
  });

  it('never times out a rollout that already ended', () => {
    const completed = { state: 'completed' as const, reason: null, endedAt: T0 };

    expect(atDeadline(completed, T0 + 5000, T0)).toBe(completed);
  });

  it('reports no seconds for a rollout that timed out', () => {
    expect(outcomeOfVerdict(atDeadline(running, T0 + 10_000, T0), T0, T0 + 10_000)).toEqual({
      state: 'timed-out',
      reason: 'not ended by the deadline (last seen: rolloutState IN_PROGRESS)',
      seconds: null,
    });
  });

  it("adds a stopped task's reason to a failed rollout only", () => {
    const failed = {
      state: 'failed' as const,
      reason: 'ECS deployment circuit breaker: task failed to start.',
      endedAt: null,
    };
    const stopped =
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed';

    expect(withStoppedTaskReason(failed, stopped).reason).toBe(
      `ECS deployment circuit breaker: task failed to start. Stopped task: ${stopped}`,
    );
    expect(withStoppedTaskReason(running, stopped)).toBe(running);
    expect(withStoppedTaskReason(failed, null)).toBe(failed);
  });

  it.each([
    [null, 'b', 'b'],
    ['a.', null, 'a.'],
    ['a', 'a', 'a'],
    ['a. ', 'b', 'a. b'],
  ])('joins %s and %s as %s', (first, second, joined) => {
    expect(joinReasons(first, second)).toBe(joined);
  });

  it('counts each end under the names the reports use', () => {
    const ends = ['completed', 'completed', 'superseded', 'failed', 'timed-out'] as const;

    expect(countRollouts(ends.map((state) => ({ state })))).toEqual({
      completed: 2,
      superseded: 1,
      rolloutFailed: 1,
      timedOut: 1,
    });
  });
});

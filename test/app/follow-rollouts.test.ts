/**
 * The follower end to end through the real ECS client and our reader, against a stand-in ECS whose
 * deployments move as ECS reports them; time is virtual (an injected clock the follower's sleeps advance).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { type FollowProgress, followRollouts, settleReport } from '../../functions/app/follow-rollouts.ts';
import { EcsRollouts } from '../../functions/aws/ecs-rollouts.ts';
import type { RolloutReader } from '../../functions/core/ports.ts';
import type { Report } from '../../functions/core/report.ts';
import type { StartedDeployment } from '../../functions/core/rollout.ts';
import { TEST_CREDENTIALS } from '../support/ecs-http.ts';
import { CLUSTER_ARN, RolloutEcs, serviceArnOf } from '../support/rollout-ecs.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const OURS = 'ecs-svc/5000000000000000005';
const PREVIOUS = 'ecs-svc/1000000000000000001';
const SECRETS_ERROR =
  'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf from secrets manager: AccessDeniedException';

/** A world in virtual time: the follower's sleeps move the clock, the stand-in's script follows it. */
function world() {
  let now = T0;
  const ecs = new RolloutEcs(() => now);
  const client = new ECSClient({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    requestHandler: ecs.requestHandler,
    maxAttempts: 1,
  });
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  const started = (name: string, deploymentId = OURS): StartedDeployment => ({
    service: { serviceArn: serviceArnOf(name), serviceName: name, clusterArn: CLUSTER_ARN },
    deploymentId,
    via: 'ecs',
    startedAt: T0,
  });
  /** A rolling service where ours has just replaced the previous, completed deployment. */
  const rollingService = (name: string) =>
    ecs.service(name, {
      deployments: [
        ecs.deployment(OURS, 'PRIMARY', { createdAt: T0 + 300 }),
        ecs.deployment(PREVIOUS, 'ACTIVE', {
          createdAt: T0 - 86_400_000,
          rolloutState: 'COMPLETED',
          runningCount: 2,
        }),
      ],
    });
  return { ecs, reader: new EcsRollouts(client), clock, started, rollingService };
}

const follow = (w: ReturnType<typeof world>, started: StartedDeployment[], deadlineMs = 1_800_000) =>
  followRollouts(started, [w.reader], { pollMs: 15_000, deadline: T0 + deadlineMs, ...w.clock });

describe('followRollouts', () => {
  it('follows a rolling deployment to completed, timed by ECS, looking every poll until then', async () => {
    const w = world();
    w.rollingService('api');
    w.ecs.at(T0 + 88_000, 'api', (service) => {
      service.deployments = [
        {
          ...(service.deployments[0] as (typeof service.deployments)[0]),
          rolloutState: 'COMPLETED',
          updatedAt: T0 + 88_000,
        },
      ];
    });

    const [settled] = await follow(w, [w.started('api')]);

    expect(settled?.outcome).toEqual({ state: 'completed', reason: null, seconds: 88 });
    // Looks at 0, 15, 30, 45, 60, 75 and 90 seconds.
    expect(w.ecs.callsOf('DescribeServices')).toHaveLength(7);
  });

  it("reports a failed rollout with ECS's reason and the reason its tasks stopped", async () => {
    const w = world();
    w.rollingService('worker');
    w.ecs.at(T0 + 40_000, 'worker', (service) => {
      const ours = service.deployments[0];
      if (ours === undefined) return;
      Object.assign(ours, {
        status: 'ACTIVE',
        rolloutState: 'FAILED',
        rolloutStateReason: 'ECS deployment circuit breaker: task failed to start.',
        updatedAt: T0 + 40_000,
        failedTasks: 3,
      });
      service.deployments.unshift(
        w.ecs.deployment('ecs-svc/6000000000000000006', 'PRIMARY', {
          rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${PREVIOUS}.`,
        }),
      );
      service.stoppedTasks = [
        {
          taskArn: 'arn:task/older',
          startedBy: PREVIOUS,
          stoppedReason: 'Scaling activity initiated by (deployment x)',
          stoppedAt: T0 + 41_000,
        },
        {
          taskArn: 'arn:task/a',
          startedBy: OURS,
          stoppedReason: 'Task failed to start',
          stoppedAt: T0 + 20_000,
        },
        { taskArn: 'arn:task/b', startedBy: OURS, stoppedReason: SECRETS_ERROR, stoppedAt: T0 + 38_000 },
      ];
    });

    const [settled] = await follow(w, [w.started('worker')]);

    expect(settled?.outcome).toEqual({
      state: 'failed',
      reason: `ECS deployment circuit breaker: task failed to start. Stopped task: ${SECRETS_ERROR}`,
      seconds: 40,
    });
    expect(w.ecs.callsOf('ListTasks')[0]?.input).toMatchObject({
      serviceName: 'worker',
      desiredStatus: 'STOPPED',
    });
  });

  it('reports superseded when CI/CD starts a later deployment before ours ends', async () => {
    const w = world();
    w.rollingService('web');
    w.ecs.at(T0 + 30_000, 'web', (service) => {
      for (const deployment of service.deployments) deployment.status = 'ACTIVE';
      service.deployments.unshift(w.ecs.deployment('ecs-svc/7000000000000000007', 'PRIMARY'));
    });

    const [settled] = await follow(w, [w.started('web')]);

    expect(settled?.outcome).toEqual({
      state: 'superseded',
      reason: 'replaced by ecs-svc/7000000000000000007',
      seconds: 30,
    });
  });

  it('times out a rollout still in progress at the deadline, looking one last time then', async () => {
    const w = world();
    w.rollingService('stuck');

    const [settled] = await follow(w, [w.started('stuck')], 60_000);

    expect(settled?.outcome).toEqual({
      state: 'timed-out',
      reason: 'not ended by the deadline (last seen: rolloutState IN_PROGRESS)',
      seconds: null,
    });
    expect(w.ecs.callsOf('DescribeServices')).toHaveLength(5);
  });

  it('follows a BLUE_GREEN deployment through its service deployment, not its absent rollout state', async () => {
    const w = world();
    const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/${id}`;
    w.ecs.service('checkout', {
      strategy: 'BLUE_GREEN',
      deployments: [w.ecs.deployment(OURS, 'PRIMARY', { createdAt: T0 + 300, rolloutState: undefined })],
      serviceDeployments: [
        { serviceDeploymentArn: arn('yesterday'), status: 'SUCCESSFUL', createdAt: T0 - 86_400_000 },
        { serviceDeploymentArn: arn('ours'), status: 'IN_PROGRESS', createdAt: T0 + 1_100 },
      ],
    });
    w.ecs.at(T0 + 125_000, 'checkout', (service) => {
      Object.assign(service.serviceDeployments[1] ?? {}, { status: 'SUCCESSFUL', finishedAt: T0 + 122_000 });
    });

    const [settled] = await follow(w, [w.started('checkout')]);

    expect(settled?.outcome).toEqual({ state: 'completed', reason: null, seconds: 122 });
    const listed = w.ecs.callsOf('ListServiceDeployments')[0]?.input;
    expect(listed).toMatchObject({ cluster: CLUSTER_ARN, service: 'checkout' });
    const after = (listed?.createdAt as { after?: number } | undefined)?.after ?? Number.NaN;
    expect(after * 1000).toBeLessThanOrEqual(T0 + 300);
  });

  it('reports a BLUE_GREEN deployment that rolled back as failed, with both of ECS reasons', async () => {
    const w = world();
    w.ecs.service('checkout', {
      strategy: 'CANARY',
      deployments: [w.ecs.deployment(OURS, 'PRIMARY', { createdAt: T0 + 300, rolloutState: undefined })],
      serviceDeployments: [
        {
          serviceDeploymentArn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/ours',
          status: 'ROLLBACK_SUCCESSFUL',
          statusReason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.',
          createdAt: T0 + 900,
          finishedAt: T0 + 70_000,
          rollback: { reason: 'Circuit breaker initiated rollback.', startedAt: T0 + 50_000 },
        },
      ],
    });

    const [settled] = await follow(w, [w.started('checkout')]);

    expect(settled?.outcome).toEqual({
      state: 'failed',
      reason:
        'Service deployment rolled back because the circuit breaker threshold was exceeded. Circuit breaker initiated rollback.',
      seconds: 70,
    });
  });

  it('keeps following through a failed read, and says so if the deadline comes first', async () => {
    const w = world();
    w.rollingService('api');
    let failures = 2;
    w.ecs.failWhen((action) =>
      action === 'DescribeServices' && failures-- > 0
        ? { error: 'ServerException', message: 'Service Unavailable', status: 503 }
        : null,
    );
    w.ecs.at(T0 + 20_000, 'api', (service) => {
      Object.assign(service.deployments[0] ?? {}, { rolloutState: 'COMPLETED', updatedAt: T0 + 20_000 });
    });
    const other = world();
    other.rollingService('api');
    other.ecs.failWhen((action) =>
      action === 'DescribeServices'
        ? { error: 'ServerException', message: 'Service Unavailable', status: 503 }
        : null,
    );

    const [recovered] = await follow(w, [w.started('api')]);
    const [blind] = await follow(other, [other.started('api')], 30_000);

    expect(recovered?.outcome).toEqual({ state: 'completed', reason: null, seconds: 20 });
    expect(blind?.outcome).toEqual({
      state: 'timed-out',
      reason:
        'not ended by the deadline (last seen: could not read it: ServerException: Service Unavailable)',
      seconds: null,
    });
  });

  it('follows several at once, each to its own end, and says how many have ended after every look', async () => {
    const w = world();
    w.rollingService('fast');
    w.rollingService('slow');
    w.ecs.at(T0 + 10_000, 'fast', (service) => {
      Object.assign(service.deployments[0] ?? {}, { rolloutState: 'COMPLETED', updatedAt: T0 + 10_000 });
    });
    w.ecs.at(T0 + 35_000, 'slow', (service) => {
      Object.assign(service.deployments[0] ?? {}, {
        rolloutState: 'FAILED',
        rolloutStateReason: 'ECS deployment circuit breaker: task failed to start.',
        updatedAt: T0 + 35_000,
      });
    });
    const progress: FollowProgress[] = [];

    const settled = await followRollouts([w.started('fast'), w.started('slow')], [w.reader], {
      pollMs: 15_000,
      deadline: T0 + 600_000,
      ...w.clock,
      onProgress: (step) => progress.push(step),
    });

    expect(settled.map(({ started, outcome }) => [started.service.serviceName, outcome.state])).toEqual([
      ['fast', 'completed'],
      ['slow', 'failed'],
    ]);
    expect(
      progress.map(({ completed, rolloutFailed, inProgress }) => [completed, rolloutFailed, inProgress]),
    ).toEqual([
      [0, 0, 2],
      [1, 0, 1],
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(progress.at(-1)?.msLeft).toBe(600_000 - 45_000);
  });

  it('refuses to follow a deployment no reader follows', async () => {
    const w = world();

    await expect(
      follow(w, [{ ...w.started('api'), via: 'codedeploy', deploymentId: 'd-ABCDEF123' }]),
    ).rejects.toThrow('no rollout reader follows deployments made via codedeploy');
  });
});

describe('settleReport', () => {
  const outcome = (name: string, action: 'redeployed' | 'skipped', deploymentId: string | null) => ({
    serviceArn: serviceArnOf(name),
    serviceName: name,
    clusterArn: CLUSTER_ARN,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}:1`,
    action,
    reason: action === 'skipped' ? 'opted-out' : null,
    deploymentId,
    via: action === 'redeployed' ? ('ecs' as const) : null,
    strategy: null,
    deploymentGroup: null,
    detail: null,
    references: [],
  });
  const report: Report = {
    change: {
      kind: 'secretsmanager',
      arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf',
      name: 'prod/db-password',
      account: '123456789012',
      region: 'us-east-1',
      label: 'AWSCURRENT',
      versionId: 'v2',
      trigger: 'Secret Label Updated',
    },
    ignored: null,
    dryRun: false,
    summary: { matched: 3, redeployed: 2, wouldRedeploy: 0, queued: 0, deferred: 0, skipped: 1, failed: 0 },
    scanned: { clusters: 1, services: 3, taskDefinitions: 3 },
    durationMs: 900,
    services: [
      outcome('api', 'redeployed', OURS),
      outcome('quiet', 'skipped', null),
      outcome('nameless', 'redeployed', null),
    ],
  };

  it('gives each redeployed service its rollout and the summary the count of each end', async () => {
    const w = world();
    w.rollingService('api');
    w.ecs.at(T0 + 50_000, 'api', (service) => {
      Object.assign(service.deployments[0] ?? {}, { rolloutState: 'COMPLETED', updatedAt: T0 + 50_000 });
    });

    const settled = await settleReport(report, [w.reader], {
      pollMs: 15_000,
      timeoutMs: 1_800_000,
      runStartedAt: T0 - 2_000,
      ...w.clock,
    });

    expect(settled.services.map((service) => [service.serviceName, service.rollout])).toEqual([
      ['api', { state: 'completed', reason: null, seconds: 52 }],
      ['quiet', undefined],
      [
        'nameless',
        {
          state: 'timed-out',
          reason: 'ECS did not name the deployment it started, so its end could not be followed',
          seconds: null,
        },
      ],
    ]);
    expect(settled.summary).toEqual({
      ...report.summary,
      completed: 1,
      superseded: 0,
      rolloutFailed: 0,
      timedOut: 1,
    });
  });

  it("follows a CodeDeploy service's deployment through the CodeDeploy reader, not ECS's", async () => {
    const w = world();
    const asked: StartedDeployment[] = [];
    const codeDeployReader: RolloutReader = {
      via: 'codedeploy',
      observe: async (started) => {
        asked.push(started);
        return { kind: 'codedeploy', deployment: { status: 'Succeeded' }, endedAt: T0 + 30_000 };
      },
      stoppedTaskReason: async () => null,
    };
    const viaCodeDeploy: Report = {
      ...report,
      summary: { ...report.summary, redeployed: 1 },
      services: [{ ...outcome('checkout', 'redeployed', 'd-ABCDEF123'), via: 'codedeploy' }],
    };

    const settled = await settleReport(viaCodeDeploy, [w.reader, codeDeployReader], {
      pollMs: 15_000,
      timeoutMs: 1_800_000,
      runStartedAt: T0,
      ...w.clock,
    });

    expect(asked.map((started) => [started.deploymentId, started.via])).toEqual([
      ['d-ABCDEF123', 'codedeploy'],
    ]);
    expect(w.ecs.calls).toEqual([]);
    expect(settled.services[0]?.rollout).toEqual({ state: 'completed', reason: null, seconds: 30 });
  });
});

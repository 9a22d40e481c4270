import { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ECS_READ_LIMITS } from '../../functions/aws/ecs-pacing.ts';
import { EcsRollouts } from '../../functions/aws/ecs-rollouts.ts';
import type { StartedDeployment } from '../../functions/core/rollout.ts';
import { TEST_CREDENTIALS } from '../support/ecs-http.ts';
import { CLUSTER_ARN, RolloutEcs, serviceArnOf } from '../support/rollout-ecs.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const OURS = 'ecs-svc/5000000000000000005';

function reader() {
  const ecs = new RolloutEcs(() => T0 + 60_000);
  const client = new ECSClient({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    requestHandler: ecs.requestHandler,
    maxAttempts: 1,
  });
  return { ecs, rollouts: new EcsRollouts(client) };
}

const started = (name: string): StartedDeployment => ({
  service: { serviceArn: serviceArnOf(name), serviceName: name, clusterArn: CLUSTER_ARN },
  deploymentId: OURS,
  via: 'ecs',
  startedAt: T0,
});

describe('EcsRollouts', () => {
  it('reads a rolling deployment as ECS lists it, times in milliseconds', async () => {
    const { ecs, rollouts } = reader();
    ecs.service('api', {
      deployments: [
        ecs.deployment(OURS, 'PRIMARY', { createdAt: T0 + 300, updatedAt: T0 + 45_000, runningCount: 1 }),
      ],
      events: [{ createdAt: T0 + 40_000, message: '(service api) has started 1 tasks: (task 0a1b).' }],
    });

    const observation = await rollouts.observe(started('api'));

    expect(observation).toEqual({
      kind: 'rolling',
      deployments: [
        {
          id: OURS,
          status: 'PRIMARY',
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: null,
          createdAt: T0 + 300,
          updatedAt: T0 + 45_000,
          desiredCount: 2,
          runningCount: 1,
          pendingCount: 2,
        },
      ],
      events: [{ createdAt: T0 + 40_000, message: '(service api) has started 1 tasks: (task 0a1b).' }],
    });
    expect(ecs.callsOf('DescribeServices')[0]?.input).toEqual({ cluster: CLUSTER_ARN, services: ['api'] });
  });

  it('reads a deleted service as gone, and a draining one too', async () => {
    const { ecs, rollouts } = reader();
    ecs.service('draining', { status: 'DRAINING' });

    expect(await rollouts.observe(started('deleted'))).toEqual({ kind: 'service-gone', status: 'MISSING' });
    expect(await rollouts.observe(started('draining'))).toEqual({ kind: 'service-gone', status: 'DRAINING' });
  });

  it('finds no stopped task reason when no stopped task is the deployment’s', async () => {
    const { ecs, rollouts } = reader();
    ecs.service('api', {
      stoppedTasks: [
        {
          taskArn: 'arn:task/1',
          startedBy: 'ecs-svc/other',
          stoppedReason: 'Essential container exited',
          stoppedAt: T0,
        },
      ],
    });

    expect(await rollouts.stoppedTaskReason(started('api'))).toBeNull();
    expect(await rollouts.stoppedTaskReason(started('empty-service'))).toBeNull();
  });

  it('only reads, and every action it sends is paced like the scan’s reads', async () => {
    const { ecs, rollouts } = reader();
    ecs.service('checkout', {
      strategy: 'LINEAR',
      deployments: [ecs.deployment(OURS, 'PRIMARY', { createdAt: T0 + 300, rolloutState: undefined })],
      serviceDeployments: [
        {
          serviceDeploymentArn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/checkout/ours',
          status: 'IN_PROGRESS',
          createdAt: T0 + 900,
        },
      ],
      stoppedTasks: [
        { taskArn: 'arn:task/1', startedBy: OURS, stoppedReason: 'Task failed to start', stoppedAt: T0 },
      ],
    });

    await rollouts.observe(started('checkout'));
    await rollouts.stoppedTaskReason(started('checkout'));

    const actions = [...new Set(ecs.calls.map((call) => call.action))].sort();
    expect(actions).toEqual([
      'DescribeServiceDeployments',
      'DescribeServices',
      'DescribeTasks',
      'ListServiceDeployments',
      'ListTasks',
    ]);
    for (const action of actions) expect(ECS_READ_LIMITS[action], action).toBeDefined();
  });
});

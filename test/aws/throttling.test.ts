import { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import { RETRY_CONFIG } from '../../functions/aws/clients.ts';
import { ClusterInventory } from '../../functions/aws/ecs-inventory.ts';
import { EcsRedeployer } from '../../functions/aws/ecs-redeployer.ts';
import { EcsTaskDefinitions } from '../../functions/aws/task-definitions.ts';
import { parseEvent } from '../../functions/core/change.ts';
import { type EcsAnswer, ecsRequestHandler, TEST_CREDENTIALS } from '../support/ecs-http.ts';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/main';
const SERVICE = 'arn:aws:ecs:us-east-1:123456789012:service/main/api';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3';

const change = parseEvent({
  source: 'aws.ssm',
  'detail-type': 'Parameter Store Change',
  account: '123456789012',
  region: 'us-east-1',
  resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url'],
  detail: { operation: 'Update', name: '/prod/api/url', type: 'String' },
});

const throttled: EcsAnswer = { error: 'ThrottlingException', message: 'Rate exceeded' };

/** One service using the parameter; the first `throttles` calls of every action are throttled. */
function throttlingAccount(
  throttles: number,
  updateFailure?: EcsAnswer,
  maxAttempts: number = RETRY_CONFIG.maxAttempts,
) {
  const calls: Record<string, number> = {};
  const handler = ecsRequestHandler((action) => {
    calls[action] = (calls[action] ?? 0) + 1;
    if ((calls[action] ?? 0) <= throttles) return throttled;
    switch (action) {
      case 'ListClusters':
        return { ok: { clusterArns: [CLUSTER] } };
      case 'ListServices':
        return { ok: { serviceArns: [SERVICE] } };
      case 'DescribeServices':
        return {
          ok: {
            services: [
              {
                serviceArn: SERVICE,
                serviceName: 'api',
                clusterArn: CLUSTER,
                status: 'ACTIVE',
                desiredCount: 2,
                taskDefinition: TASK,
              },
            ],
          },
        };
      case 'DescribeTaskDefinition':
        return {
          ok: {
            taskDefinition: {
              taskDefinitionArn: TASK,
              containerDefinitions: [{ name: 'app', secrets: [{ name: 'URL', valueFrom: '/prod/api/url' }] }],
            },
          },
        };
      case 'UpdateService':
        return (
          updateFailure ?? { ok: { service: { deployments: [{ id: 'ecs-svc/42', status: 'PRIMARY' }] } } }
        );
      default:
        return { error: 'UnknownOperationException', message: action };
    }
  });
  const client = new ECSClient({
    ...RETRY_CONFIG,
    maxAttempts,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    requestHandler: handler,
  });
  const ports = {
    inventory: new ClusterInventory(client),
    taskDefinitions: new EcsTaskDefinitions(client),
    // As in production: UpdateService goes through a one-attempt client, retried by the redeployer itself.
    delivery: {
      kind: 'direct' as const,
      redeployer: new EcsRedeployer(
        new ECSClient({
          region: 'us-east-1',
          credentials: TEST_CREDENTIALS,
          requestHandler: handler,
          maxAttempts: 1,
        }),
        { attempts: maxAttempts, sleep: async () => {} },
      ),
    },
  };
  return { calls, ports };
}

describe('throttling', () => {
  it('slows the scan down and retries every throttled ECS action instead of failing', async () => {
    const { calls, ports } = throttlingAccount(1);

    const report = await redeployForChange(change, ports, { dryRun: false, concurrency: 4 });

    expect(report.services).toMatchObject([
      { serviceName: 'api', action: 'redeployed', deploymentId: 'ecs-svc/42' },
    ]);
    expect(calls).toEqual({
      ListClusters: 2,
      ListServices: 2,
      DescribeServices: 2,
      DescribeTaskDefinition: 2,
      UpdateService: 2,
    });
  }, 30_000);

  it('reports the service as failed when UpdateService answers a server error on every attempt', async () => {
    // Three attempts keep the test short; production clients make RETRY_CONFIG.maxAttempts.
    const { calls, ports } = throttlingAccount(
      0,
      { error: 'ServerException', message: 'internal error', status: 500 },
      3,
    );

    const report = await redeployForChange(change, ports, { dryRun: false, concurrency: 4 });

    expect(report.services).toMatchObject([
      { serviceName: 'api', action: 'failed', reason: 'ServerException: internal error' },
    ]);
    expect(calls.UpdateService).toBe(3);
    // Before each retry it asked whether the failed call had landed after all.
    expect(calls.DescribeServices).toBe(1 + 2);
  }, 60_000);
});

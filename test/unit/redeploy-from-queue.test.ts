import { describe, expect, it } from 'vitest';
import {
  redeployFromQueue,
  redeployQueueRecord,
  retryDelaySeconds,
  ServiceBusyError,
} from '../../functions/app/redeploy-from-queue.ts';
import type { Claim, PendingRedeploys } from '../../functions/core/ports.ts';
import { parseRedeployMessage, type RedeployMessage } from '../../functions/core/queue-message.ts';

const message: RedeployMessage = {
  service: {
    serviceArn: 'arn:aws:ecs:us-east-1:1:service/main/api',
    serviceName: 'api',
    clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/main',
  },
  changeKey: 'arn:secret|AWSCURRENT|v2',
  change: {
    kind: 'secretsmanager',
    arn: 'arn:secret',
    name: 'db',
    account: '1',
    region: 'us-east-1',
    label: 'AWSCURRENT',
    versionId: 'v2',
    trigger: 'Secret Label Updated',
  },
};

function pendingAnswering(claim: Claim) {
  const calls: string[] = [];
  const pending: PendingRedeploys = {
    add: async () => void calls.push('add'),
    claim: async () => {
      calls.push('claim');
      return claim;
    },
    complete: async (_service, _owner, keys) => void calls.push(`complete:${keys.join(',')}`),
    release: async () => void calls.push('release'),
  };
  return { pending, calls };
}

function redeployer(result: () => Promise<{ deploymentId: string | null }>) {
  const redeployed: string[] = [];
  return {
    redeployed,
    port: {
      redeploy: async (service: { serviceName: string }) => {
        redeployed.push(service.serviceName);
        return result();
      },
    },
  };
}

describe('redeployQueueRecord', () => {
  it('in a dry run, never redeploys and never claims the service, and logs what it would do', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/9' }));
    const logged: [string, Record<string, unknown>][] = [];
    const telemetry = {
      info: (text: string, fields: Record<string, unknown>) => void logged.push([text, fields]),
      warn: () => {},
      error: () => {},
      count: () => {},
    };
    const record = {
      messageId: 'msg-1',
      receiptHandle: 'r-1',
      body: JSON.stringify(message),
      attributes: { ApproximateReceiveCount: '1' },
    };

    await redeployQueueRecord(
      record,
      { pending, redeployer: ecs.port, telemetry, retryDelay: { delay: async () => {} } },
      { maxReceiveCount: 5, visibilityTimeoutSeconds: 300, dryRun: true },
    );

    expect(ecs.redeployed).toEqual([]);
    expect(calls).toEqual([]);
    expect(logged).toEqual([
      ['service would be redeployed (dry run)', expect.objectContaining({ ecsService: message.service })],
    ]);
  });
});

describe('redeployFromQueue', () => {
  it('redeploys once for every change waiting on the service and marks them all done', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1', 'k2'] });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/9' }));

    const outcome = await redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000);

    expect(outcome).toEqual({ action: 'redeployed', deploymentId: 'ecs-svc/9', changeKeys: ['k1', 'k2'] });
    expect(ecs.redeployed).toEqual(['api']);
    expect(calls).toEqual(['claim', 'complete:k1,k2']);
  });

  it('does nothing for a change already done (a repeated or redriven message)', async () => {
    const { pending, calls } = pendingAnswering({ state: 'done' });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));

    const outcome = await redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000);

    expect(outcome).toEqual({ action: 'already-done' });
    expect(ecs.redeployed).toEqual([]);
    expect(calls).toEqual(['claim']);
  });

  it('leaves a service another worker holds to a later retry', async () => {
    const { pending } = pendingAnswering({ state: 'busy' });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));

    await expect(
      redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000),
    ).rejects.toThrow(ServiceBusyError);
    expect(ecs.redeployed).toEqual([]);
  });

  it('frees the service and fails the message when UpdateService fails, marking nothing done', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const ecs = redeployer(async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    });

    await expect(
      redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000),
    ).rejects.toThrow('Rate exceeded');
    expect(calls).toEqual(['claim', 'release']);
  });
});

describe('redeploy messages', () => {
  it('reads back what the planner sends', () => {
    expect(parseRedeployMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{}', 'service'],
    [JSON.stringify({ ...message, changeKey: '' }), 'changeKey'],
  ])('refuses %s, naming what is wrong', (body, problem) => {
    expect(() => parseRedeployMessage(body)).toThrow(problem);
  });

  it.each([
    [1, 30],
    [2, 60],
    [4, 240],
    [10, 900],
  ])('waits longer after each failed attempt: attempt %i waits %i s', (attempt, seconds) => {
    expect(retryDelaySeconds(attempt)).toBe(seconds);
  });
});

import { describe, expect, it } from 'vitest';
import {
  DeploymentGroupWaitError,
  GROUP_WAIT_DELAY_SECONDS,
  MAX_GROUP_WAIT_MS,
  type QueueRecord,
  type QueueWorkerPorts,
  redeployFromQueue,
  redeployQueueRecord,
  retryDelaySeconds,
  ServiceBusyError,
} from '../../functions/app/redeploy-from-queue.ts';
import { DeploymentGroupBusyError } from '../../functions/core/errors.ts';
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
      {
        pending,
        redeployer: ecs.port,
        telemetry,
        retryDelay: { delay: async () => {} },
        requeue: { send: async () => {} },
      },
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

describe('a redeploy whose CodeDeploy deployment group is busy', () => {
  const GROUP = { applicationName: 'shop', deploymentGroupName: 'api-bg', deploymentConfigName: null };
  const throughCodeDeploy: RedeployMessage = {
    ...message,
    service: { ...message.service, codeDeployGroup: GROUP },
  };
  const NOW = Date.parse('2026-06-01T12:00:00Z');
  const record = (body: RedeployMessage, receiveCount = 1): QueueRecord => ({
    messageId: 'msg-1',
    receiptHandle: 'rh-1',
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  });

  function worker() {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const requeued: { message: RedeployMessage; delaySeconds: number }[] = [];
    const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const delayed: number[] = [];
    const ports: QueueWorkerPorts = {
      pending,
      redeployer: {
        redeploy: async () => {
          throw new DeploymentGroupBusyError('api-bg', ['d-PIPELINE']);
        },
      },
      retryDelay: { delay: async (_handle, seconds) => void delayed.push(seconds) },
      requeue: {
        send: async (messages, delaySeconds) => {
          for (const sent of messages) requeued.push({ message: sent, delaySeconds });
        },
      },
      telemetry: {
        info: (text, fields) => void logged.push({ level: 'info', message: text, fields: { ...fields } }),
        warn: (text, fields) => void logged.push({ level: 'warn', message: text, fields: { ...fields } }),
        error: (text, fields) => void logged.push({ level: 'error', message: text, fields: { ...fields } }),
        count: () => {},
      },
    };
    return { ports, calls, requeued, logged, delayed };
  }
  const options = { maxReceiveCount: 5, visibilityTimeoutSeconds: 300, dryRun: false };
  const at = (now: number) => ({ now: () => now });

  it('is no failure: the message goes back on the queue, delayed, and the service is freed, nothing marked done', async () => {
    const { ports, calls, requeued, logged, delayed } = worker();

    await redeployQueueRecord(record(throughCodeDeploy), ports, options, at(NOW));

    expect(calls).toEqual(['claim', 'release']);
    expect(requeued).toEqual([
      { message: { ...throughCodeDeploy, waitingSince: NOW }, delaySeconds: GROUP_WAIT_DELAY_SECONDS },
    ]);
    expect(delayed).toEqual([]);
    expect(logged.map((line) => [line.level, line.message])).toEqual([
      ['info', 'redeploy waits for the deployment group'],
    ]);
    expect(logged[0]?.fields.reason).toContain('d-PIPELINE');
  });

  it('keeps the time the wait began when the group is still busy at the next look', async () => {
    const { ports, requeued } = worker();
    const waited = { ...throughCodeDeploy, waitingSince: NOW - 3_600_000 };

    await redeployQueueRecord(record(waited), ports, options, at(NOW));

    expect(requeued[0]?.message.waitingSince).toBe(NOW - 3_600_000);
  });

  it('gives the wait up as a failure once it has lasted longer than CodeDeploy ever holds a group', async () => {
    const { ports, requeued, logged, delayed } = worker();
    const waited = { ...throughCodeDeploy, waitingSince: NOW - MAX_GROUP_WAIT_MS - 1 };

    await expect(redeployQueueRecord(record(waited), ports, options, at(NOW))).rejects.toThrow(
      DeploymentGroupWaitError,
    );
    expect(requeued).toEqual([]);
    expect(delayed).toEqual([30]);
    expect(logged.map((line) => line.message)).toEqual(['service redeploy failed, will be retried']);
  });
});

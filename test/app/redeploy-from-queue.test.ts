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
import type { FlapRecord } from '../../functions/core/flap-guard.ts';
import type { Claim, PendingRedeploys, RedeployHistory, RedeployQueue } from '../../functions/core/ports.ts';
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

describe('redeployFromQueue with the flap guard', () => {
  const HOUR = 3_600_000;
  const T = Date.parse('2025-11-09T15:00:00.000Z');

  function guardWith(record: FlapRecord) {
    const saved: FlapRecord[] = [];
    const sent: { message: RedeployMessage; delaySeconds: number }[] = [];
    const history: RedeployHistory = {
      historyOf: async () => saved.at(-1) ?? record,
      saveHistory: async (_service, next) => void saved.push(next),
    };
    const queue: RedeployQueue = {
      send: async (messages, delaySeconds) => {
        for (const entry of messages) sent.push({ message: entry, delaySeconds });
      },
    };
    return { saved, sent, flapGuard: { history, queue, limit: 2 } };
  }

  it('redeploys below the limit and records when the deployment started', async () => {
    const { pending } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/1' }));
    const { saved, flapGuard } = guardWith({ starts: [T - 10_000], deferredUntil: null });

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, flapGuard },
      'msg-1',
      300_000,
      { now: () => T },
    );

    expect(outcome).toMatchObject({ action: 'redeployed' });
    expect(saved).toEqual([{ starts: [T - 10_000, T], deferredUntil: null }]);
  });

  it('defers a service at its limit: frees it with its changes pending and sends the message back, delayed', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1', 'k2'] });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));
    const { saved, sent, flapGuard } = guardWith({
      starts: [T - HOUR + 120_000, T - 5_000],
      deferredUntil: null,
    });

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, flapGuard },
      'msg-1',
      300_000,
      { now: () => T },
    );

    expect(outcome).toEqual({ action: 'deferred', allowedAt: T + 120_000, folded: false, delaySeconds: 120 });
    expect(ecs.redeployed).toEqual([]);
    expect(calls).toEqual(['claim', 'release']);
    expect(sent).toEqual([{ message: { ...message, deferredUntil: T + 120_000 }, delaySeconds: 120 }]);
    expect(saved.at(-1)?.deferredUntil).toBe(T + 120_000);
  });

  it('folds a later change into the message already waiting, sending nothing', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1', 'k2'] });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));
    const { sent, flapGuard } = guardWith({ starts: [T - 60_000, T - 5_000], deferredUntil: T + 900_000 });

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, flapGuard },
      'msg-1',
      300_000,
      { now: () => T },
    );

    expect(outcome).toEqual({
      action: 'deferred',
      allowedAt: T - 60_000 + HOUR,
      folded: true,
      delaySeconds: null,
    });
    expect(sent).toEqual([]);
    expect(calls).toEqual(['claim', 'release']);
  });

  it('deploys the waiting message once the hour allows, carrying every change deferred meanwhile', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1', 'k2', 'k3'] });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/7' }));
    const { saved, flapGuard } = guardWith({ starts: [T - HOUR, T - HOUR + 1], deferredUntil: T });

    const outcome = await redeployFromQueue(
      { ...message, deferredUntil: T },
      { pending, redeployer: ecs.port, flapGuard },
      'msg-9',
      300_000,
      { now: () => T + 1 },
    );

    expect(outcome).toEqual({
      action: 'redeployed',
      deploymentId: 'ecs-svc/7',
      changeKeys: ['k1', 'k2', 'k3'],
    });
    expect(calls).toEqual(['claim', 'complete:k1,k2,k3']);
    // Both earlier starts have left the hour by now: only this one counts.
    expect(saved).toEqual([{ starts: [T + 1], deferredUntil: null }]);
  });
});

describe("redeployFromQueue with a windowed change (another account's parameter)", () => {
  const WINDOW_KEY = 'arn:aws:ssm:us-east-1:210987654321:parameter/p|window:2025-11-09T15:00:00.000Z+60s';

  it('leaves the windowed change pending when the deployment started before its window closed', async () => {
    const { pending, calls } = pendingAnswering({
      state: 'claimed',
      changeKeys: [message.changeKey, WINDOW_KEY],
    });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/1' }));

    const outcome = await redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000, {
      now: () => Date.parse('2025-11-09T15:00:30.000Z'),
    });

    expect(outcome).toMatchObject({ changeKeys: [message.changeKey] });
    expect(calls).toEqual(['claim', `complete:${message.changeKey}`]);
  });

  it('marks it done once a deployment started after the window closed', async () => {
    const { pending, calls } = pendingAnswering({
      state: 'claimed',
      changeKeys: [message.changeKey, WINDOW_KEY],
    });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/1' }));

    await redeployFromQueue(message, { pending, redeployer: ecs.port }, 'msg-1', 300_000, {
      now: () => Date.parse('2025-11-09T15:01:00.000Z'),
    });

    expect(calls).toEqual(['claim', `complete:${message.changeKey},${WINDOW_KEY}`]);
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

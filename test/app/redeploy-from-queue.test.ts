import { describe, expect, it } from 'vitest';
import {
  DeploymentGroupWaitError,
  FINISH_RESERVE_MS,
  GROUP_WAIT_DELAY_SECONDS,
  HAND_BACK_DELAY_SECONDS,
  MAX_GROUP_WAIT_MS,
  type QueueRecord,
  type QueueWorkerPorts,
  redeployFromQueue,
  redeployQueueRecord,
  retryDelaySeconds,
  ServiceBusyError,
  ServiceNotFoundError,
  START_RESERVE_MS,
} from '../../functions/app/redeploy-from-queue.ts';
import { DeploymentGroupBusyError } from '../../functions/core/errors.ts';
import type { FlapRecord } from '../../functions/core/flap-guard.ts';
import type {
  Claim,
  PendingRedeploys,
  RedeployHistory,
  RedeployQueue,
  ServiceReader,
} from '../../functions/core/ports.ts';
import { parseRedeployMessage, type RedeployMessage } from '../../functions/core/queue-message.ts';
import { referencesOf } from '../../functions/core/reference.ts';
import { service as serviceNamed, taskDefinitionArn } from '../support/in-memory-ports.ts';

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

/** ECS's answer for the message's service: as queued, with these tags and deployments. */
function ecsHas(tags: Record<string, string> = {}, deploymentIds: string[] = ['ecs-svc/1']): ServiceReader {
  return {
    current: async (ref) =>
      ref.serviceArn === message.service.serviceArn
        ? {
            ...serviceNamed('api', taskDefinitionArn('api'), { tags, deploymentIds }),
            serviceArn: message.service.serviceArn,
            clusterArn: message.service.clusterArn,
          }
        : null,
  };
}

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
      seconds: () => {},
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
        services: ecsHas(),
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

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, services: ecsHas() },
      'msg-1',
      300_000,
    );

    expect(outcome).toEqual({ action: 'redeployed', deploymentId: 'ecs-svc/9', changeKeys: ['k1', 'k2'] });
    expect(ecs.redeployed).toEqual(['api']);
    expect(calls).toEqual(['claim', 'complete:k1,k2']);
  });

  it('does nothing for a change already done (a repeated or redriven message)', async () => {
    const { pending, calls } = pendingAnswering({ state: 'done' });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, services: ecsHas() },
      'msg-1',
      300_000,
    );

    expect(outcome).toEqual({ action: 'already-done' });
    expect(ecs.redeployed).toEqual([]);
    expect(calls).toEqual(['claim']);
  });

  it('leaves a service another worker holds to a later retry', async () => {
    const { pending } = pendingAnswering({ state: 'busy' });
    const ecs = redeployer(async () => ({ deploymentId: 'x' }));

    await expect(
      redeployFromQueue(message, { pending, redeployer: ecs.port, services: ecsHas() }, 'msg-1', 300_000),
    ).rejects.toThrow(ServiceBusyError);
    expect(ecs.redeployed).toEqual([]);
  });

  it('frees the service and fails the message when UpdateService fails, marking nothing done', async () => {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const ecs = redeployer(async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    });

    await expect(
      redeployFromQueue(message, { pending, redeployer: ecs.port, services: ecsHas() }, 'msg-1', 300_000),
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
      { pending, redeployer: ecs.port, services: ecsHas(), flapGuard },
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
      { pending, redeployer: ecs.port, services: ecsHas(), flapGuard },
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
      { pending, redeployer: ecs.port, services: ecsHas(), flapGuard },
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
      { pending, redeployer: ecs.port, services: ecsHas(), flapGuard },
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

    const outcome = await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, services: ecsHas() },
      'msg-1',
      300_000,
      {
        now: () => Date.parse('2025-11-09T15:00:30.000Z'),
      },
    );

    expect(outcome).toMatchObject({ changeKeys: [message.changeKey] });
    expect(calls).toEqual(['claim', `complete:${message.changeKey}`]);
  });

  it('marks it done once a deployment started after the window closed', async () => {
    const { pending, calls } = pendingAnswering({
      state: 'claimed',
      changeKeys: [message.changeKey, WINDOW_KEY],
    });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/1' }));

    await redeployFromQueue(
      message,
      { pending, redeployer: ecs.port, services: ecsHas() },
      'msg-1',
      300_000,
      {
        now: () => Date.parse('2025-11-09T15:01:00.000Z'),
      },
    );

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

  const withService = (service: Partial<RedeployMessage['service']>) =>
    JSON.stringify({ ...message, service: { ...message.service, ...service } });

  it.each([
    [
      'a name the ARN does not end in',
      { serviceName: 'web' },
      'serviceArn names service "api", serviceName is "web"',
    ],
    [
      'a cluster the ARN does not name',
      { clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/other' },
      'serviceArn names cluster "main", clusterArn names "other"',
    ],
    [
      'a cluster in another account',
      { clusterArn: 'arn:aws:ecs:us-east-1:2:cluster/main' },
      'different accounts or Regions',
    ],
    ['an ARN of something else', { serviceArn: 'arn:aws:sqs:us-east-1:1:api' }, 'is not an ECS service ARN'],
    ['a cluster ARN of something else', { clusterArn: 'main' }, 'is not an ECS cluster ARN'],
  ])('refuses a service with %s', (_case, service, problem) => {
    expect(() => parseRedeployMessage(withService(service))).toThrow(problem);
  });

  it('accepts a service ARN in the old short format, whose cluster ECS itself confirms', () => {
    const body = withService({ serviceArn: 'arn:aws:ecs:us-east-1:1:service/api' });

    expect(parseRedeployMessage(body).service.serviceArn).toBe('arn:aws:ecs:us-east-1:1:service/api');
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
      services: ecsHas(),
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
        seconds: () => {},
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

describe('a worker that trusts no message', () => {
  type Line = { level: string; message: string; fields: Record<string, unknown> };
  const record = (body: string, receiveCount = 1): QueueRecord => ({
    messageId: 'msg-1',
    receiptHandle: 'rh-1',
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  });
  const options = { maxReceiveCount: 5, visibilityTimeoutSeconds: 720, dryRun: false };

  function worker(
    services: ServiceReader = ecsHas(),
    redeploy = async () => ({ deploymentId: 'ecs-svc/2' }),
  ) {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const lines: Line[] = [];
    const counted: [string, number][] = [];
    const delayed: number[] = [];
    const targets: unknown[] = [];
    const requeued: { messages: readonly RedeployMessage[]; delaySeconds: number }[] = [];
    const ports: QueueWorkerPorts = {
      pending,
      services,
      redeployer: {
        redeploy: async (target, until) => {
          targets.push({ target, until });
          return redeploy();
        },
      },
      retryDelay: { delay: async (_handle, seconds) => void delayed.push(seconds) },
      requeue: { send: async (messages, delaySeconds) => void requeued.push({ messages, delaySeconds }) },
      telemetry: {
        info: (text, fields) => void lines.push({ level: 'info', message: text, fields: { ...fields } }),
        warn: (text, fields) => void lines.push({ level: 'warn', message: text, fields: { ...fields } }),
        error: (text, fields) => void lines.push({ level: 'error', message: text, fields: { ...fields } }),
        count: (metric, value) => void counted.push([metric, value]),
        seconds: () => {},
      },
    };
    return { ports, calls, lines, counted, delayed, targets, requeued };
  }

  const disagreeing = JSON.stringify({
    ...message,
    service: { ...message.service, serviceName: 'payments' },
  });

  it.each([
    ['not JSON', 'not json at all', 'not JSON'],
    ['without a service', JSON.stringify({ changeKey: 'k' }), 'service'],
    [
      'whose service ARN and name disagree',
      disagreeing,
      'serviceArn names service "api", serviceName is "payments"',
    ],
  ])(
    'refuses a message %s with a log line naming why, acts on nothing, and hands it back at once',
    async (_case, body, why) => {
      const { ports, calls, lines, delayed, targets } = worker();

      await expect(redeployQueueRecord(record(body, 1), ports, options)).rejects.toThrow(why);

      expect(calls).toEqual([]);
      expect(targets).toEqual([]);
      expect(delayed).toEqual([0]);
      expect(lines.map((line) => [line.level, line.message])).toEqual([['warn', 'redeploy message refused']]);
      expect(lines[0]?.fields).toMatchObject({
        messageId: 'msg-1',
        receiveCount: 1,
        deadLetterQueueAfterReceives: 5,
      });
      expect(String(lines[0]?.fields.reason)).toContain(why);
    },
  );

  it('says `service redeploy failed` for a refused message on its last receive, before the dead-letter queue', async () => {
    const { ports, lines, counted, delayed } = worker();

    await expect(redeployQueueRecord(record(disagreeing, 5), ports, options)).rejects.toThrow(
      'names no one service',
    );

    expect(lines.map((line) => [line.level, line.message])).toEqual([['error', 'service redeploy failed']]);
    expect(lines[0]?.fields).toMatchObject({
      refused: true,
      deadLetterQueue: true,
      receiveCount: 5,
      ecsService: { serviceArn: message.service.serviceArn, serviceName: 'payments' },
    });
    expect(lines[0]?.fields.ecsService).toMatchObject({
      reason: expect.stringContaining('serviceName is "payments"'),
    });
    expect(counted).toEqual([['ServicesFailed', 1]]);
    expect(delayed).toEqual([0]);
  });

  it('skips a service tagged rotation-redeploy=off when it reads it again, whatever the message says', async () => {
    const { ports, calls, lines, counted, targets } = worker(ecsHas({ 'rotation-redeploy': 'OFF' }));

    await redeployQueueRecord(record(JSON.stringify(message)), ports, options);

    expect(targets).toEqual([]);
    expect(calls).toEqual(['claim', 'release']);
    expect(lines.map((line) => [line.message, line.fields.reason])).toEqual([
      ['service skipped', 'opted-out'],
    ]);
    expect(counted).toEqual([['ServicesSkipped', 1]]);
  });

  it('redeploys nothing for a service ECS does not have in that cluster, and fails the message', async () => {
    const { ports, calls, targets } = worker({ current: async () => null });

    await expect(redeployQueueRecord(record(JSON.stringify(message)), ports, options)).rejects.toThrow(
      ServiceNotFoundError,
    );
    expect(targets).toEqual([]);
    expect(calls).toEqual(['claim', 'release']);
  });

  it('makes a message that failed its last attempt visible at once, so it reaches the dead-letter queue now', async () => {
    const { ports, delayed, lines } = worker(ecsHas(), async () => {
      throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    });

    await expect(redeployQueueRecord(record(JSON.stringify(message), 5), ports, options)).rejects.toThrow(
      'not authorized',
    );

    expect(delayed).toEqual([0]);
    expect(lines.map((line) => line.message)).toEqual(['service redeploy failed']);
  });

  it('redeploys by what ECS says now: the deployments listed before the call, and a deadline from the time left', async () => {
    const { ports, targets } = worker(ecsHas({}, ['ecs-svc/before']));
    const invocation = { now: () => 1_000_000, remainingMs: () => 100_000 };

    await redeployQueueRecord(record(JSON.stringify(message)), ports, options, invocation);

    expect(targets).toEqual([
      {
        target: { ...message.service, deploymentIds: ['ecs-svc/before'] },
        until: 1_000_000 + 100_000 - FINISH_RESERVE_MS,
      },
    ]);
  });
});

describe('a worker running out of time', () => {
  const record = (receiveCount = 1): QueueRecord => ({
    messageId: 'msg-9',
    receiptHandle: 'rh-9',
    body: JSON.stringify(message),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  });
  const options = { maxReceiveCount: 5, visibilityTimeoutSeconds: 720, dryRun: false };
  const short = { now: () => 0, remainingMs: () => START_RESERVE_MS - 1 };

  function ports(send: RedeployMessage[][], failSend = false) {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: ['k1'] });
    const delayed: number[] = [];
    const logged: string[] = [];
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/2' }));
    const worker: QueueWorkerPorts = {
      pending,
      services: ecsHas(),
      redeployer: ecs.port,
      retryDelay: { delay: async (_handle, seconds) => void delayed.push(seconds) },
      requeue: {
        send: async (messages, delaySeconds) => {
          if (failSend) throw new Error('AccessDenied');
          send.push([...messages.map((sent) => ({ ...sent, delaySeconds }) as RedeployMessage)]);
        },
      },
      telemetry: {
        info: (text) => void logged.push(text),
        warn: (text) => void logged.push(text),
        error: () => {},
        count: () => {},
        seconds: () => {},
      },
    };
    return { worker, calls, delayed, logged, ecs };
  }

  it('queues a message it has no time to start again, untried, and lets this receive go', async () => {
    const sent: RedeployMessage[][] = [];
    const { worker, calls, delayed, logged, ecs } = ports(sent);

    await redeployQueueRecord(record(3), worker, options, short);

    expect(sent).toEqual([[{ ...message, delaySeconds: HAND_BACK_DELAY_SECONDS }]]);
    expect(calls).toEqual([]);
    expect(ecs.redeployed).toEqual([]);
    expect(delayed).toEqual([]);
    expect(logged).toEqual(['redeploy handed back, not enough time left']);
  });

  it('hands the record itself back, shortly delayed, when the copy cannot be queued', async () => {
    const { worker, calls, delayed } = ports([], true);

    await expect(redeployQueueRecord(record(), worker, options, short)).rejects.toThrow('AccessDenied');

    expect(calls).toEqual([]);
    expect(delayed).toEqual([HAND_BACK_DELAY_SECONDS]);
  });

  it('starts a message while enough time is left', async () => {
    const { worker, ecs } = ports([]);

    await redeployQueueRecord(record(), worker, options, {
      now: () => 0,
      remainingMs: () => START_RESERVE_MS,
    });

    expect(ecs.redeployed).toEqual(['api']);
  });
});

describe('a recheck message: a service the change function could not decide for', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf';
  const recheck: RedeployMessage = {
    ...message,
    changeKey: `${SECRET}|AWSCURRENT|v2`,
    change: { ...message.change, arn: SECRET, name: 'db', account: '123456789012' },
    recheck: { movedLabels: ['AWSCURRENT'] },
  };
  const referencing = (...valueFroms: string[]) => ({
    referencesOf: async (arn: string) =>
      referencesOf({
        taskDefinitionArn: arn,
        containerDefinitions: [
          { name: 'app', secrets: valueFroms.map((valueFrom) => ({ name: 'S', valueFrom })) },
        ],
      }),
  });

  function run(taskDefinitions: QueueWorkerPorts['taskDefinitions']) {
    const { pending, calls } = pendingAnswering({ state: 'claimed', changeKeys: [recheck.changeKey] });
    const ecs = redeployer(async () => ({ deploymentId: 'ecs-svc/2' }));
    const outcome = redeployFromQueue(
      recheck,
      { pending, redeployer: ecs.port, services: ecsHas(), taskDefinitions },
      'msg-1',
      300_000,
    );
    return { outcome, calls, ecs };
  }

  it('redeploys the service when its task definition, read now, references the changed secret', async () => {
    const { outcome, ecs, calls } = run(referencing(SECRET));

    await expect(outcome).resolves.toMatchObject({ action: 'redeployed', deploymentId: 'ecs-svc/2' });
    expect(ecs.redeployed).toEqual(['api']);
    expect(calls).toEqual(['claim', `complete:${recheck.changeKey}`]);
  });

  it.each([
    [
      'does not reference the secret',
      referencing('arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123'),
      'not-referenced',
    ],
    ['pins a version', referencing(`${SECRET}:::v1`), 'pinned-version'],
  ])(
    'skips the service, nothing marked done, when its task definition %s',
    async (_case, taskDefinitions, reason) => {
      const { outcome, ecs, calls } = run(taskDefinitions);

      await expect(outcome).resolves.toEqual({ action: 'skipped', reason });
      expect(ecs.redeployed).toEqual([]);
      expect(calls).toEqual(['claim', 'release']);
    },
  );

  it('fails the message, to be retried, while the task definition still cannot be read', async () => {
    const { outcome, ecs, calls } = run({
      referencesOf: async () => {
        throw Object.assign(new Error('Unable to describe task definition'), { name: 'ClientException' });
      },
    });

    await expect(outcome).rejects.toThrow('Unable to describe task definition');
    expect(ecs.redeployed).toEqual([]);
    expect(calls).toEqual(['claim', 'release']);
  });
});

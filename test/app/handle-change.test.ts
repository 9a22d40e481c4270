import { describe, expect, it } from 'vitest';
import type { EnqueuePorts } from '../../functions/app/enqueue-redeploys.ts';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import type { ParsedEvent } from '../../functions/core/change.ts';
import { parseEvent } from '../../functions/core/change.ts';
import type { OncePerKey } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import { metricValuesOf } from '../../functions/core/report.ts';
import { inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const PARTIAL = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password';

function labelUpdated(label = 'AWSCURRENT'): ParsedEvent {
  return parseEvent({
    source: 'aws.secretsmanager',
    'detail-type': 'Secret Label Updated',
    account: '123456789012',
    region: 'us-east-1',
    resources: [SECRET_ARN],
    detail: { name: 'prod/db-password', labelUpdated: label, versionId: 'v-2' },
  });
}

const withSecrets = (...valueFroms: string[]) => ({
  containerDefinitions: valueFroms.map((valueFrom, index) => ({
    name: `c${index}`,
    secrets: [{ name: 'DB', valueFrom }],
  })),
});

const TD = {
  full: taskDefinitionArn('full'),
  partial: taskDefinitionArn('partial'),
  twice: taskDefinitionArn('twice'),
  pinned: taskDefinitionArn('pinned'),
  blue: taskDefinitionArn('blue'),
  other: taskDefinitionArn('other'),
  broken: taskDefinitionArn('broken'),
};

const taskDefinitions = {
  [TD.full]: withSecrets(SECRET_ARN),
  [TD.partial]: withSecrets(`${PARTIAL}:password::`),
  [TD.twice]: withSecrets(SECRET_ARN, `${PARTIAL}::AWSPREVIOUS:`),
  [TD.pinned]: withSecrets(`${PARTIAL}:::v-1`),
  [TD.blue]: withSecrets(`${PARTIAL}::BLUE:`, `${PARTIAL}:::v-1`),
  [TD.other]: withSecrets(
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-admin-XyZ123',
  ),
};

const options = { dryRun: false, concurrency: 4 };

describe('redeployForChange', () => {
  it('redeploys every service that reads the moved label, once each, and lists only services that use the secret', async () => {
    const { ports, calls } = inMemoryPorts({
      services: [
        service('api', TD.full),
        service('worker', TD.partial),
        service('both', TD.twice),
        service('other', TD.other),
      ],
      taskDefinitions,
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.redeployed.sort()).toEqual(['api', 'both', 'worker']);
    expect(report.services.map((entry) => [entry.serviceName, entry.action])).toEqual([
      ['api', 'redeployed'],
      ['both', 'redeployed'],
      ['worker', 'redeployed'],
    ]);
    expect(report.services.find((entry) => entry.serviceName === 'both')?.references).toHaveLength(2);
    expect(report.services[0]?.deploymentId).toMatch(/^ecs-svc\//);
    expect(report.summary).toEqual({
      matched: 3,
      redeployed: 3,
      wouldRedeploy: 0,
      queued: 0,
      deferred: 0,
      skipped: 0,
      failed: 0,
    });
    expect(report.scanned).toEqual({ clusters: 1, services: 4, taskDefinitions: 4 });
  });

  it.each([
    ['opted-out', service('svc', TD.full, { tags: { 'rotation-redeploy': 'off' } })],
    ['deployment-controller', service('svc', TD.full, { deploymentController: 'CODE_DEPLOY' })],
    ['deployment-controller', service('svc', TD.full, { deploymentController: 'EXTERNAL' })],
    ['scaled-to-zero', service('svc', TD.full, { desiredCount: 0 })],
    ['pinned-version', service('svc', TD.pinned)],
    ['stage-not-moved', service('svc', TD.blue)],
  ])('skips a service with reason %s and never calls UpdateService for it', async (reason, skipped) => {
    const { ports, calls } = inMemoryPorts({ services: [skipped], taskDefinitions });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.redeployed).toEqual([]);
    expect(report.services).toMatchObject([
      { serviceName: 'svc', action: 'skipped', reason, deploymentId: null },
    ]);
    expect(report.summary.skipped).toBe(1);
  });

  it('redeploys services following a custom label only when that label moved', async () => {
    const { ports, calls } = inMemoryPorts({
      services: [service('blue', TD.blue), service('api', TD.full)],
      taskDefinitions,
    });

    const report = await redeployForChange(labelUpdated('BLUE'), ports, options);

    expect(calls.redeployed).toEqual(['blue']);
    expect(report.services.find((entry) => entry.serviceName === 'api')?.reason).toBe('stage-not-moved');
  });

  it('plans without calling UpdateService in a dry run', async () => {
    const { ports, calls } = inMemoryPorts({ services: [service('api', TD.full)], taskDefinitions });

    const report = await redeployForChange(labelUpdated(), ports, { ...options, dryRun: true });

    expect(calls.redeployed).toEqual([]);
    expect(report.dryRun).toBe(true);
    expect(report.services).toMatchObject([{ action: 'would-redeploy', deploymentId: null }]);
    expect(report.summary).toMatchObject({ redeployed: 0, wouldRedeploy: 1 });
  });

  it('reports a failing service as failed with the error name and message, and redeploys the others', async () => {
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ThrottlingException';
    const { ports, calls } = inMemoryPorts({
      services: [service('api', TD.full), service('worker', TD.partial)],
      taskDefinitions,
      failing: { api: throttled },
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.redeployed).toEqual(['worker']);
    expect(report.services.find((entry) => entry.serviceName === 'api')).toMatchObject({
      action: 'failed',
      reason: 'ThrottlingException: Rate exceeded',
    });
    expect(report.summary).toMatchObject({ redeployed: 1, failed: 1 });
  });

  it('reports a service whose task definition cannot be read as failed instead of dropping it', async () => {
    const { ports } = inMemoryPorts({ services: [service('mystery', TD.broken)], taskDefinitions });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(report.services).toMatchObject([{ serviceName: 'mystery', action: 'failed' }]);
    expect(report.services[0]?.reason).toContain('task definition unreadable: ClientException');
  });

  it('counts task definitions shared by several services once in the scan totals', async () => {
    const { ports } = inMemoryPorts({
      services: [service('a', TD.full), service('b', TD.full), service('c', TD.partial)],
      taskDefinitions,
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(report.scanned.taskDefinitions).toBe(2);
    expect(report.summary.redeployed).toBe(3);
  });

  it('looks at no service for an ignored event', async () => {
    const { ports, calls } = inMemoryPorts({ services: [service('api', TD.full)], taskDefinitions });
    const parsed = labelUpdated('AWSPENDING');

    const report = await redeployForChange(parsed, ports, options);

    expect(report.ignored).toBe('pending-version-only');
    expect(report.services).toEqual([]);
    expect(calls.inventoryWalks).toBe(0);
    expect(calls.redeployed).toEqual([]);
  });
});

describe('redeployForChange by deployment controller', () => {
  const GROUP = {
    applicationName: 'storefront',
    deploymentGroupName: 'checkout-bg',
    deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  };
  const codeDeployed = (name: string, overrides = {}) =>
    service(name, TD.full, { deploymentController: 'CODE_DEPLOY', ...overrides });

  it('redeploys a CODE_DEPLOY service through the deployment group that lists it, and says so', async () => {
    const { ports, calls } = inMemoryPorts({
      services: [codeDeployed('checkout'), service('api', TD.full)],
      taskDefinitions,
      deploymentGroups: { checkout: GROUP },
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.codeDeployed).toEqual(['checkout → storefront/checkout-bg']);
    expect(calls.redeployed.sort()).toEqual(['api', 'checkout']);
    expect(report.services).toMatchObject([
      { serviceName: 'api', action: 'redeployed', via: 'ecs', strategy: 'ROLLING', deploymentGroup: null },
      {
        serviceName: 'checkout',
        action: 'redeployed',
        via: 'codedeploy',
        deploymentId: 'd-000000001',
        strategy: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        deploymentGroup: 'storefront/checkout-bg',
      },
    ]);
    expect(calls.groupLookups).toEqual(['checkout']);
  });

  it.each([
    [
      'no group lists it',
      codeDeployed('orphan'),
      { orphan: undefined },
      'no CodeDeploy deployment group lists this service',
    ],
    ['CodeDeploy is turned off', codeDeployed('orphan'), undefined, 'CodeDeploy deployments are turned off'],
    [
      'its controller is EXTERNAL',
      service('orphan', TD.full, { deploymentController: 'EXTERNAL' }),
      {},
      'its task sets belong to whatever manages them',
    ],
  ])(
    'skips a service for its deployment controller when %s, saying which',
    async (_, skipped, groups, detail) => {
      const { ports, calls } = inMemoryPorts({
        services: [skipped],
        taskDefinitions,
        ...(groups === undefined ? {} : { deploymentGroups: groups as Record<string, never> }),
      });

      const report = await redeployForChange(labelUpdated(), ports, options);

      expect(calls.redeployed).toEqual([]);
      expect(report.services).toMatchObject([
        { action: 'skipped', reason: 'deployment-controller', via: null, deploymentId: null },
      ]);
      expect(report.services[0]?.detail).toContain(detail);
    },
  );

  it('looks no group up for a CODE_DEPLOY service skipped for another reason first', async () => {
    const { ports, calls } = inMemoryPorts({
      services: [codeDeployed('quiet', { tags: { 'rotation-redeploy': 'off' } })],
      taskDefinitions,
      deploymentGroups: { quiet: GROUP },
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.groupLookups).toEqual([]);
    expect(report.services).toMatchObject([{ action: 'skipped', reason: 'opted-out', detail: null }]);
  });

  it('reports a CODE_DEPLOY service whose group cannot be read as failed, and redeploys the others', async () => {
    const denied = new Error('not authorized to perform: codedeploy:ListApplications');
    denied.name = 'AccessDeniedException';
    const { ports, calls } = inMemoryPorts({
      services: [codeDeployed('checkout'), service('api', TD.full)],
      taskDefinitions,
      deploymentGroups: { checkout: denied },
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.redeployed).toEqual(['api']);
    expect(report.services.find((entry) => entry.serviceName === 'checkout')).toMatchObject({
      action: 'failed',
      reason:
        'deployment group unreadable: AccessDeniedException: not authorized to perform: codedeploy:ListApplications',
    });
    expect(report.summary).toMatchObject({ redeployed: 1, failed: 1 });
  });

  it('plans a CodeDeploy deployment in a dry run without starting it', async () => {
    const { ports, calls } = inMemoryPorts({
      services: [codeDeployed('checkout')],
      taskDefinitions,
      deploymentGroups: { checkout: GROUP },
    });

    const report = await redeployForChange(labelUpdated(), ports, { ...options, dryRun: true });

    expect(calls.redeployed).toEqual([]);
    expect(report.services).toMatchObject([
      { action: 'would-redeploy', via: 'codedeploy', deploymentGroup: 'storefront/checkout-bg' },
    ]);
  });

  it("names ECS's own strategy of a service it forces with UpdateService", async () => {
    const { ports, calls } = inMemoryPorts({
      services: [service('canary', TD.full, { deploymentStrategy: 'CANARY' })],
      taskDefinitions,
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(calls.redeployed).toEqual(['canary']);
    expect(report.services).toMatchObject([{ action: 'redeployed', via: 'ecs', strategy: 'CANARY' }]);
  });

  it("queues a CODE_DEPLOY service's redeploy with its deployment group, for the worker to deploy through", async () => {
    const { ports } = inMemoryPorts({
      services: [codeDeployed('checkout'), service('api', TD.full)],
      taskDefinitions,
      deploymentGroups: { checkout: GROUP },
    });
    const sent: RedeployMessage[] = [];
    const queued = {
      ...ports,
      delivery: {
        kind: 'queued' as const,
        pending: { add: async () => {} },
        queue: { send: async (messages: readonly RedeployMessage[]) => void sent.push(...messages) },
        coalesceSeconds: 60,
      },
    };

    const report = await redeployForChange(labelUpdated(), queued, options);

    const byName = Object.fromEntries(sent.map((message) => [message.service.serviceName, message.service]));
    expect(byName.checkout?.codeDeployGroup).toEqual(GROUP);
    expect(byName.api?.codeDeployGroup).toBeUndefined();
    expect(report.services).toMatchObject([
      { serviceName: 'api', action: 'queued', via: 'ecs' },
      { serviceName: 'checkout', action: 'queued', via: 'codedeploy' },
    ]);
  });
});

describe('redeployForChange with the durable queue and once-per-change', () => {
  function queuedPorts(versionNow: string | null, flapGuard?: EnqueuePorts['flapGuard']) {
    const { ports } = inMemoryPorts({
      services: [service('api', TD.full), service('worker', TD.partial), service('pinned', TD.pinned)],
      taskDefinitions,
    });
    const sent: RedeployMessage[] = [];
    const stored = new Map<string, object>();
    const once: OncePerKey = {
      async run(key, work) {
        const previous = stored.get(key);
        if (previous !== undefined) return { result: previous as never, duplicate: true };
        const result = await work();
        stored.set(key, result);
        return { result, duplicate: false };
      },
    };
    return {
      sent,
      ports: {
        ...ports,
        delivery: {
          kind: 'queued' as const,
          pending: { add: async () => {} },
          queue: { send: async (messages: readonly RedeployMessage[]) => void sent.push(...messages) },
          coalesceSeconds: 60,
          flapGuard,
        },
        changeVersions: { currentVersion: async () => ({ version: versionNow }) },
        once,
      },
    };
  }

  it('hands each service to redeploy to the queue, keyed by the version the label points to now', async () => {
    const { ports, sent } = queuedPorts('v-9');

    const report = await redeployForChange(labelUpdated(), ports, options);

    expect(sent.map((message) => message.service.serviceName).sort()).toEqual(['api', 'worker']);
    expect(new Set(sent.map((message) => message.changeKey))).toEqual(
      new Set([`${SECRET_ARN}|AWSCURRENT|v-9`]),
    );
    expect(report.summary).toMatchObject({ matched: 3, queued: 2, skipped: 1, redeployed: 0 });
    expect(report.changeKey).toBe(`${SECRET_ARN}|AWSCURRENT|v-9`);
  });

  it('handles a second announcement of the same value as already handled, sending nothing more', async () => {
    const { ports, sent } = queuedPorts('v-9');
    await redeployForChange(labelUpdated(), ports, options);
    const cloudTrailStyle = parseEvent({
      source: 'aws.secretsmanager',
      'detail-type': 'AWS Service Event via CloudTrail',
      account: '123456789012',
      region: 'us-east-1',
      resources: [],
      detail: { eventName: 'RotationSucceeded', additionalEventData: { SecretId: SECRET_ARN } },
    });

    const second = await redeployForChange(cloudTrailStyle, ports, options);

    expect(second.ignored).toBe('already-handled');
    expect(sent).toHaveLength(2);
  });

  it('reports a service the flap guard holds back as deferred, queued all the same, with until when', async () => {
    const api = service('api', TD.full);
    const now = Date.parse('2025-11-09T15:30:00.000Z');
    const { ports, sent } = queuedPorts('v-9', {
      history: {
        historyOf: async (target) => ({
          // Six deployments of api in the last hour, the oldest at 15:00: the next may start at 16:00.
          starts:
            target.serviceArn === api.serviceArn
              ? [0, 1, 2, 3, 4, 5].map((minute) => Date.parse('2025-11-09T15:00:00.000Z') + minute * 60_000)
              : [],
          deferredUntil: null,
        }),
      },
      limit: 6,
    });

    const report = await redeployForChange(labelUpdated(), ports, options, { now: () => now });

    expect(sent.map((message) => message.service.serviceName).sort()).toEqual(['api', 'worker']);
    expect(report.services.map((entry) => [entry.serviceName, entry.action, entry.reason])).toEqual([
      [
        'api',
        'deferred',
        'flap guard: 6 forced deployments in the last hour; the next from 2025-11-09T16:00:00.000Z',
      ],
      ['pinned', 'skipped', 'pinned-version'],
      ['worker', 'queued', null],
    ]);
    expect(report.summary).toMatchObject({ matched: 3, queued: 1, deferred: 1, skipped: 1 });
    const metrics = metricValuesOf(report);
    expect([metrics.get('ServicesQueued'), metrics.get('ServicesFlapping')]).toEqual([2, 1]);
  });

  it('keys by the event when the current version cannot be read', async () => {
    const { ports } = queuedPorts(null);
    const report = await redeployForChange(labelUpdated(), ports, {
      ...options,
    });
    expect(report.changeKey).toBe(`${SECRET_ARN}|AWSCURRENT|v-2`);
  });
});

describe('a change with services it could not decide for', () => {
  const codeDeployed = (name: string) => service(name, TD.full, { deploymentController: 'CODE_DEPLOY' });
  const denied = Object.assign(new Error('not authorized to perform: codedeploy:ListApplications'), {
    name: 'AccessDeniedException',
  });

  function queued(account: Parameters<typeof inMemoryPorts>[0]) {
    const { ports } = inMemoryPorts(account);
    const sent: RedeployMessage[] = [];
    const stored = new Map<string, object>();
    const once: OncePerKey = {
      // As Powertools Idempotency does: a record is kept only for work that returned.
      async run(key, work) {
        const previous = stored.get(key);
        if (previous !== undefined) return { result: previous as never, duplicate: true };
        const result = await work();
        stored.set(key, result);
        return { result, duplicate: false };
      },
    };
    return {
      sent,
      stored,
      once,
      ports: {
        ...ports,
        delivery: {
          kind: 'queued' as const,
          pending: { add: async () => {} },
          queue: { send: async (messages: readonly RedeployMessage[]) => void sent.push(...messages) },
          coalesceSeconds: 60,
        },
        once,
      },
    };
  }

  it('hands a service whose task definition or deployment group cannot be read to the worker to decide afresh', async () => {
    const { ports, sent } = queued({
      services: [service('mystery', TD.broken), codeDeployed('checkout'), service('api', TD.full)],
      taskDefinitions,
      deploymentGroups: { checkout: denied },
    });

    const report = await redeployForChange(labelUpdated(), ports, options);

    const rechecks = sent.filter((message) => message.recheck !== undefined);
    expect(rechecks.map((message) => message.service.serviceName).sort()).toEqual(['checkout', 'mystery']);
    expect(rechecks.every((message) => message.recheck?.movedLabels.includes('AWSCURRENT'))).toBe(true);
    expect(rechecks[0]?.service.codeDeployGroup).toBeUndefined();
    expect(report.summary).toMatchObject({ queued: 3, failed: 0 });
    expect(report.services.find((entry) => entry.serviceName === 'mystery')).toMatchObject({
      action: 'queued',
      detail: expect.stringContaining('task definition unreadable: ClientException'),
    });
    expect(report.services.find((entry) => entry.serviceName === 'checkout')?.detail).toContain(
      'deployment group unreadable: AccessDeniedException',
    );
  });

  it('does not mark a change with a failed service done: announced again, it is handled again', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { ports, calls } = inMemoryPorts({
      services: [service('api', TD.full), service('worker', TD.partial)],
      taskDefinitions,
      failing: { api: throttled },
    });
    const stored = new Map<string, object>();
    const once: OncePerKey = {
      async run(key, work) {
        const previous = stored.get(key);
        if (previous !== undefined) return { result: previous as never, duplicate: true };
        const result = await work();
        stored.set(key, result);
        return { result, duplicate: false };
      },
    };
    const direct = { ...ports, once };

    const first = await redeployForChange(labelUpdated(), direct, options);
    const second = await redeployForChange(labelUpdated(), direct, options);

    expect(first.summary).toMatchObject({ redeployed: 1, failed: 1 });
    expect(stored.size).toBe(0);
    expect(second.ignored).toBeNull();
    expect(second.services.find((entry) => entry.serviceName === 'api')?.action).toBe('failed');
    expect(calls.redeployed).toEqual(['worker', 'worker']);
  });

  it('marks a change done once every service is redeployed or handed to the worker', async () => {
    const { ports, stored } = queued({ services: [service('mystery', TD.broken)], taskDefinitions });

    await redeployForChange(labelUpdated(), ports, options);
    const again = await redeployForChange(labelUpdated(), ports, options);

    expect(stored.size).toBe(1);
    expect(again.ignored).toBe('already-handled');
  });
});

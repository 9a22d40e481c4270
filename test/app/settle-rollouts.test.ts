import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CHECK_EVERY_SECONDS,
  type SettlePorts,
  settleChange,
  settleFromCheck,
  settleFromEvent,
  settleQueueRecord,
} from '../../functions/app/settle-rollouts.ts';
import { LOG_MESSAGES, METRICS } from '../../functions/contract.ts';
import type { RolloutReader } from '../../functions/core/ports.ts';
import type { ReportedChange } from '../../functions/core/report.ts';
import type { RolloutObservation, StartedDeployment } from '../../functions/core/rollout.ts';
import type { SettledReport } from '../../functions/core/settled-report.ts';
import { InMemoryLedger } from '../support/in-memory-ledger.ts';

const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
const completedEvent = () => sample('ecs-deployment-completed.json');
const failedEvent = () => sample('ecs-deployment-failed.json');

const CHANGE_AT = Date.parse('2025-11-05T03:00:00Z');
const cluster = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';
const ref = (name: string) => ({
  serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`,
  serviceName: name,
  clusterArn: cluster,
});
const change: ReportedChange = {
  kind: 'secretsmanager',
  arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf',
  name: 'prod/db-password',
  account: '123456789012',
  region: 'us-east-1',
  label: 'AWSCURRENT',
  versionId: 'v2',
  trigger: 'Secret Label Updated',
};
const api: StartedDeployment = {
  service: ref('api'),
  deploymentId: completedEvent().detail.deploymentId,
  via: 'ecs',
  startedAt: CHANGE_AT + 60_000,
};
const worker: StartedDeployment = {
  service: ref('worker'),
  deploymentId: failedEvent().detail.deploymentId,
  via: 'ecs',
  startedAt: CHANGE_AT + 61_000,
};
const DEADLINE = CHANGE_AT + 3_600_000;

interface Recorded {
  logs: [string, Record<string, unknown>][];
  metrics: [string, number][];
  published: { subject: string; body: string }[];
  scheduled: [string, number][];
  watched: [string, number][];
}

function harness(
  observe: (started: StartedDeployment) => RolloutObservation = () => ({
    kind: 'rolling',
    deployments: [],
    events: [],
  }),
) {
  const ledger = new InMemoryLedger();
  const recorded: Recorded = { logs: [], metrics: [], published: [], scheduled: [], watched: [] };
  const reader: RolloutReader = {
    via: 'ecs',
    observe: async (started) => observe(started),
    stoppedTaskReason: async () =>
      'ResourceInitializationError: unable to pull secrets or registry auth: AccessDenied',
  };
  const log = (message: string, fields: Record<string, unknown>) =>
    void recorded.logs.push([message, fields]);
  const ports: SettlePorts = {
    ledger,
    readers: [reader],
    checks: {
      schedule: async (id, delay) => void recorded.scheduled.push([id, delay]),
      settleChange: async () => {},
      watchChange: async (key, delay) => void recorded.watched.push([key, delay]),
    },
    telemetry: {
      info: log,
      warn: log,
      error: log,
      count: (metric, value) => void recorded.metrics.push([metric, value]),
      seconds: (metric, value) => void recorded.metrics.push([metric, value]),
    },
    notifier: { publish: async (subject, body) => void recorded.published.push({ subject, body }) },
  };
  return { ledger, recorded, ports };
}

async function started(ledger: InMemoryLedger, ...deployments: StartedDeployment[]) {
  await ledger.expect(
    'key-1',
    change,
    deployments.map((d) => d.service),
    CHANGE_AT,
    DEADLINE,
  );
  for (const deployment of deployments)
    await ledger.recordStart({ started: deployment, changeKeys: ['key-1'], deadline: DEADLINE });
}

const settledReports = (recorded: Recorded) =>
  recorded.logs
    .filter(([message]) => message === LOG_MESSAGES.redeploySettled)
    .map(([, fields]) => fields.report as SettledReport);

const at = (ms: number) => ({ now: () => ms });

describe('settling from ECS Deployment State Change events', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });

  it('drops an event about a deployment the tool did not start after one lookup', async () => {
    await started(h.ledger, worker);

    const step = await settleFromEvent(completedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT));

    expect(step).toBe('not-ours');
    expect(h.ledger.lookups).toBe(1);
    expect(h.recorded.logs).toEqual([]);
  });

  it('logs one settled report when the last service ends, with each service, its reason and the counts', async () => {
    await started(h.ledger, api, worker);

    const first = await settleFromEvent(
      completedEvent(),
      h.ports,
      { notifyOn: 'failures' },
      at(CHANGE_AT + 250_000),
    );
    const reportsAfterFirst = settledReports(h.recorded).length;
    await settleFromEvent(failedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 570_000));

    expect(first).toBe('recorded');
    expect(reportsAfterFirst).toBe(0);
    const [report, ...others] = settledReports(h.recorded);
    expect(others).toEqual([]);
    expect(report?.change?.name).toBe('prod/db-password');
    expect(report?.summary).toEqual({
      services: 2,
      onNewValue: 1,
      completed: 1,
      superseded: 0,
      rolloutFailed: 1,
      timedOut: 0,
    });
    const failed = report?.services.find((service) => service.service.serviceName === 'worker');
    expect(failed?.state).toBe('failed');
    expect(failed?.reason).toContain('ECS deployment circuit breaker: task failed to start');
    expect(failed?.reason).toContain('ResourceInitializationError: unable to pull secrets');
    // From the change to ECS's updatedAt of the event.
    expect(failed?.seconds).toBe(Math.round((Date.parse('2025-11-05T03:09:28.877Z') - CHANGE_AT) / 1000));
    expect(h.recorded.metrics).toEqual(
      expect.arrayContaining([
        [METRICS.RolloutsCompleted, 1],
        [METRICS.RolloutsFailed, 1],
        [METRICS.RolloutsTimedOut, 0],
        [METRICS.SecondsToSettle, failed?.seconds],
      ]),
    );
  });

  it('publishes a failed change once, with a subject readable at a glance and the JSON as its body', async () => {
    await started(h.ledger, api, worker);

    await settleFromEvent(completedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 250_000));
    await settleFromEvent(failedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 570_000));
    // EventBridge may deliver an event twice.
    await settleFromEvent(failedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 580_000));

    expect(h.recorded.published).toHaveLength(1);
    expect(h.recorded.published[0]?.subject).toBe(
      'prod/db-password: 1 of 2 services on the new value, 1 rollout failed',
    );
    expect(JSON.parse(h.recorded.published[0]?.body ?? '{}').summary.rolloutFailed).toBe(1);
    expect(settledReports(h.recorded)).toHaveLength(1);
  });

  it('publishes nothing for a change whose rollouts all completed when only failures are notified', async () => {
    await started(h.ledger, api);

    await settleFromEvent(completedEvent(), h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 250_000));

    expect(settledReports(h.recorded)).toHaveLength(1);
    expect(h.recorded.published).toEqual([]);
  });

  it('publishes every settled report when notifyOn is all', async () => {
    await started(h.ledger, api);

    await settleFromEvent(completedEvent(), h.ports, { notifyOn: 'all' }, at(CHANGE_AT + 250_000));

    expect(h.recorded.published.map((p) => p.subject)).toEqual([
      'prod/db-password: 1 of 1 service on the new value',
    ]);
  });

  it('leaves a rollout in progress on an IN_PROGRESS event', async () => {
    await started(h.ledger, api);
    const event = sample('ecs-deployment-in-progress.json');
    event.detail.deploymentId = api.deploymentId;
    event.resources = [api.service.serviceArn];

    const step = await settleFromEvent(event, h.ports, { notifyOn: 'all' }, at(CHANGE_AT + 70_000));

    expect(step).toBe('in-progress');
    expect(settledReports(h.recorded)).toEqual([]);
  });
});

describe('settling from the delayed check', () => {
  it('looks again later while the rollout runs, and reports it timed-out at the deadline', async () => {
    const h = harness(() => ({
      kind: 'rolling',
      deployments: [
        {
          id: api.deploymentId,
          status: 'PRIMARY',
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: null,
          createdAt: api.startedAt,
          updatedAt: null,
          desiredCount: 2,
          runningCount: 1,
          pendingCount: 1,
        },
      ],
      events: [],
    }));
    await started(h.ledger, api);

    const early = await settleFromCheck(
      api.deploymentId,
      h.ports,
      { notifyOn: 'failures' },
      at(CHANGE_AT + 360_000),
    );
    const late = await settleFromCheck(api.deploymentId, h.ports, { notifyOn: 'failures' }, at(DEADLINE));

    expect(early).toBe('in-progress');
    expect(h.recorded.scheduled).toEqual([[api.deploymentId, CHECK_EVERY_SECONDS]]);
    expect(late).toBe('recorded');
    const [report] = settledReports(h.recorded);
    expect(report?.summary.timedOut).toBe(1);
    expect(report?.services[0]?.reason).toContain('not ended by the deadline');
    expect(h.recorded.published[0]?.subject).toBe(
      'prod/db-password: 0 of 1 service on the new value, 1 timed out',
    );
  });

  it('settles a rolling deployment ECS marked COMPLETED, which no event announced', async () => {
    const h = harness(() => ({
      kind: 'rolling',
      deployments: [
        {
          id: api.deploymentId,
          status: 'PRIMARY',
          rolloutState: 'COMPLETED',
          rolloutStateReason: null,
          createdAt: api.startedAt,
          updatedAt: CHANGE_AT + 300_000,
          desiredCount: 2,
          runningCount: 2,
          pendingCount: 0,
        },
      ],
      events: [],
    }));
    await started(h.ledger, api);

    await settleFromCheck(api.deploymentId, h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 360_000));

    const [report] = settledReports(h.recorded);
    expect(report?.services[0]).toMatchObject({ state: 'completed', seconds: 300 });
    expect(h.recorded.scheduled).toEqual([]);
  });

  it('settles a change whose last service could not be redeployed, reporting it failed', async () => {
    const h = harness();
    await h.ledger.expect('key-1', change, [ref('api')], CHANGE_AT, DEADLINE);
    await h.ledger.recordEnd('key-1', {
      service: ref('api'),
      deploymentId: null,
      state: 'failed',
      reason: 'not redeployed: AccessDenied',
      endedAt: CHANGE_AT + 1000,
    });

    await settleChange('key-1', false, h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 2000));

    const [report] = settledReports(h.recorded);
    expect(report?.services[0]).toMatchObject({
      state: 'failed',
      deploymentId: null,
      reason: 'not redeployed: AccessDenied',
    });
    expect(report?.summary.onNewValue).toBe(0);
  });
});

describe('watching a change until its deadline', () => {
  it('looks again later while a service has not started, and settles it timed-out at the deadline', async () => {
    // Prepare: the change functions expected the service; its deployment never started.
    const h = harness();
    await h.ledger.expect('key-1', change, [ref('api')], CHANGE_AT, DEADLINE);

    // Act
    const early = await settleChange(
      'key-1',
      true,
      h.ports,
      { notifyOn: 'failures' },
      at(CHANGE_AT + 900_000),
    );
    const late = await settleChange('key-1', true, h.ports, { notifyOn: 'failures' }, at(DEADLINE));

    // Assess
    expect(early).toBe('in-progress');
    expect(h.recorded.watched).toEqual([['key-1', CHECK_EVERY_SECONDS]]);
    expect(late).toBe('recorded');
    const [report, ...others] = settledReports(h.recorded);
    expect(others).toEqual([]);
    expect(report?.services[0]).toMatchObject({ state: 'timed-out', seconds: null });
    expect(report?.services[0]?.reason).toContain('no deployment was started for it');
    expect(h.recorded.metrics).toEqual(expect.arrayContaining([[METRICS.RolloutsTimedOut, 1]]));
  });

  it('stops watching a change that is settled already, and reports it no second time', async () => {
    // Prepare
    const h = harness();
    await started(h.ledger, api);
    await settleFromEvent(completedEvent(), h.ports, { notifyOn: 'all' }, at(CHANGE_AT + 250_000));

    // Act
    const step = await settleChange('key-1', true, h.ports, { notifyOn: 'all' }, at(DEADLINE + 1));

    // Assess
    expect(step).toBe('recorded');
    expect(h.recorded.watched).toEqual([]);
    expect(settledReports(h.recorded)).toHaveLength(1);
    expect(h.recorded.published).toHaveLength(1);
  });

  it('does not watch a change the worker only asked to settle', async () => {
    // Prepare
    const h = harness();
    await h.ledger.expect('key-1', change, [ref('api'), ref('worker')], CHANGE_AT, DEADLINE);

    // Act
    const step = await settleChange('key-1', false, h.ports, { notifyOn: 'failures' }, at(CHANGE_AT + 1000));

    // Assess
    expect(step).toBe('in-progress');
    expect(h.recorded.watched).toEqual([]);
    expect(settledReports(h.recorded)).toEqual([]);
  });

  it('drops a look at a change whose ledger is gone', async () => {
    const h = harness();

    const step = await settleChange('key-gone', true, h.ports, { notifyOn: 'failures' }, at(CHANGE_AT));

    expect(step).toBe('not-ours');
    expect(h.recorded.watched).toEqual([]);
  });
});

describe('a record of the settle queue', () => {
  it('is an ECS event as the rule put it there, a look at a deployment, or a look at a change', async () => {
    // Prepare
    const h = harness();
    await started(h.ledger, api);
    await h.ledger.expect('key-2', change, [ref('cron')], CHANGE_AT, DEADLINE);

    // Act
    const steps = [
      await settleQueueRecord(
        JSON.stringify(completedEvent()),
        h.ports,
        { notifyOn: 'all' },
        at(CHANGE_AT + 250_000),
      ),
      await settleQueueRecord(
        JSON.stringify({ deploymentId: 'ecs-svc/unknown' }),
        h.ports,
        { notifyOn: 'all' },
        at(CHANGE_AT),
      ),
      await settleQueueRecord(
        JSON.stringify({ changeKey: 'key-2', watch: true }),
        h.ports,
        { notifyOn: 'all' },
        at(CHANGE_AT + 1000),
      ),
    ];

    // Assess
    expect(steps).toEqual(['recorded', 'not-ours', 'in-progress']);
    expect(settledReports(h.recorded).map((report) => report.changeKey)).toEqual(['key-1']);
    expect(h.recorded.watched).toEqual([['key-2', CHECK_EVERY_SECONDS]]);
  });

  it.each([
    ['not JSON', 'the settle message is not JSON'],
    [JSON.stringify({ changeKey: '' }), 'no non-empty "deploymentId" or "changeKey"'],
    [
      JSON.stringify({ 'detail-type': 'ECS Deployment State Change', source: 'aws.ecs' }),
      'not an ECS Deployment State Change event',
    ],
  ])('refuses %s, saying why', async (body, message) => {
    await expect(
      settleQueueRecord(body, harness().ports, { notifyOn: 'all' }, at(CHANGE_AT)),
    ).rejects.toThrow(message);
  });
});

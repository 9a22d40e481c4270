import { describe, expect, it } from 'vitest';
import { enqueueRedeploys } from '../../functions/app/enqueue-redeploys.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';

const messageFor = (name: string): RedeployMessage => ({
  service: {
    serviceArn: `arn:aws:ecs:us-east-1:1:service/main/${name}`,
    serviceName: name,
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
});

describe('enqueueRedeploys', () => {
  it('records every service as pending before it queues the messages, delayed by the coalescing window', async () => {
    const events: string[] = [];
    const messages = ['api', 'worker', 'cron'].map(messageFor);

    await enqueueRedeploys(
      messages,
      {
        pending: { add: async (message) => void events.push(`pending ${message.service.serviceName}`) },
        queue: {
          send: async (sent, delaySeconds) =>
            void events.push(
              `send ${sent.map((message) => message.service.serviceName).join(',')} after ${delaySeconds} s`,
            ),
        },
      },
      45,
      0,
    );

    expect(events).toEqual([
      'pending api',
      'pending worker',
      'pending cron',
      'send api,worker,cron after 45 s',
    ]);
  });

  it('queues nothing when a service cannot be recorded as pending', async () => {
    const sent: RedeployMessage[] = [];

    const enqueuing = enqueueRedeploys(
      [messageFor('api')],
      {
        pending: { add: async () => Promise.reject(new Error('table unavailable')) },
        queue: { send: async (messages) => void sent.push(...messages) },
      },
      60,
      0,
    );

    await expect(enqueuing).rejects.toThrow('table unavailable');
    expect(sent).toEqual([]);
  });

  it('answers the services the flap guard holds back, and queues them all the same', async () => {
    const sent: RedeployMessage[] = [];
    const now = Date.parse('2025-11-09T15:30:00.000Z');
    const hour = 3_600_000;

    const held = await enqueueRedeploys(
      ['api', 'worker'].map(messageFor),
      {
        pending: { add: async () => {} },
        queue: { send: async (messages) => void sent.push(...messages) },
        flapGuard: {
          history: {
            historyOf: async (service) => ({
              starts: service.serviceName === 'api' ? [now - hour + 60_000, now - 1_000] : [now - 1_000],
              deferredUntil: null,
            }),
          },
          limit: 2,
        },
      },
      60,
      now,
    );

    expect([...held]).toEqual([
      [messageFor('api').service.serviceArn, { recent: 2, allowedAt: now + 60_000 }],
    ]);
    expect(sent.map((message) => message.service.serviceName)).toEqual(['api', 'worker']);
  });

  it('expects each service in its change ledger, with the deadline, and watches the change', async () => {
    // Prepare
    const T0 = 1_800_000_000_000;
    const expected: [string, string[], number, number][] = [];
    const watched: [string, number][] = [];
    const messages = [messageFor('api'), messageFor('worker'), { ...messageFor('cron'), changeKey: 'other' }];

    // Act
    await enqueueRedeploys(
      messages,
      {
        pending: { add: async () => {} },
        queue: { send: async () => {} },
        expectations: {
          ledger: {
            expect: async (key, _change, services, seenAt, deadline) =>
              void expected.push([key, services.map((s) => s.serviceName), seenAt, deadline]),
          },
          checks: { watchChange: async (key, delay) => void watched.push([key, delay]) },
          timeoutMs: 3_600_000,
        },
      },
      60,
      T0,
    );

    // Assess: the deadline counts the coalescing window, then the rollout timeout.
    expect(expected).toEqual([
      ['arn:secret|AWSCURRENT|v2', ['api', 'worker'], T0, T0 + 60_000 + 3_600_000],
      ['other', ['cron'], T0, T0 + 60_000 + 3_600_000],
    ]);
    expect(watched).toEqual([
      ['arn:secret|AWSCURRENT|v2', 900],
      ['other', 900],
    ]);
  });

  it('first looks at a change whose deadline is sooner than 15 minutes at that deadline', async () => {
    const watched: number[] = [];

    await enqueueRedeploys(
      [messageFor('api')],
      {
        pending: { add: async () => {} },
        queue: { send: async () => {} },
        expectations: {
          ledger: { expect: async () => {} },
          checks: { watchChange: async (_key, delay) => void watched.push(delay) },
          timeoutMs: 60_000,
        },
      },
      30,
      0,
    );

    expect(watched).toEqual([90]);
  });
});

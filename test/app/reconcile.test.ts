import { describe, expect, it } from 'vitest';
import type { AuditPorts } from '../../functions/app/audit.ts';
import { reconcile } from '../../functions/app/reconcile.ts';
import type { ItemMetadataReader, Telemetry } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import { queryKey } from '../../functions/core/staleness.ts';
import { ACCOUNT, inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
const at = (iso: string) => Date.parse(iso);
const CHANGED = at('2025-01-01T10:00:00Z');

/** Answers every secret query with prod/db, whose AWSCURRENT version `v-2` was created at CHANGED. */
const metadata: ItemMetadataReader = {
  async read(queries) {
    return new Map(
      queries.map((query) => [
        queryKey(query),
        {
          ok: {
            kind: 'secretsmanager' as const,
            arn: SECRET,
            name: 'prod/db',
            versions: [
              { versionId: 'v-1', stages: ['AWSPREVIOUS'], createdAt: at('2024-12-01T00:00:00Z') },
              { versionId: 'v-2', stages: ['AWSCURRENT'], createdAt: CHANGED },
            ],
          },
        },
      ]),
    );
  },
};

function setUp(deployedAt: { readonly old: number; readonly current: number }) {
  const td = taskDefinitionArn('db');
  const { ports } = inMemoryPorts({
    services: [
      service('behind', td, { deployedAt: deployedAt.old }),
      service('current', td, { deployedAt: deployedAt.current }),
    ],
    taskDefinitions: {
      [td]: { containerDefinitions: [{ name: 'app', secrets: [{ valueFrom: SECRET }] }] },
    },
  });
  const sent: RedeployMessage[] = [];
  const logged: [string, Record<string, unknown>][] = [];
  const counted: [string, number][] = [];
  const telemetry: Telemetry = {
    info: (message, fields) => void logged.push([message, fields]),
    warn: (message, fields) => void logged.push([message, fields]),
    error: (message, fields) => void logged.push([message, fields]),
    count: (metric, value) => void counted.push([metric, value]),
    seconds: () => {},
  };
  const auditPorts: AuditPorts = {
    ...ports,
    metadata,
    delivery: {
      kind: 'queued',
      coalesceSeconds: 60,
      pending: { add: async () => {} },
      queue: { send: async (messages) => void sent.push(...messages) },
    },
  };
  return { ports: auditPorts, sent, logged, counted, telemetry };
}

const invocation = { now: () => at('2025-01-02T00:00:00Z') };
const BEHIND = { old: at('2025-01-01T09:00:00Z'), current: at('2025-01-01T11:00:00Z') };

describe('reconcile', () => {
  it('queues the stale services in fix mode, logs one reconcile report and counts them', async () => {
    // Prepare
    const { ports, sent, logged, counted, telemetry } = setUp(BEHIND);

    // Act
    const report = await reconcile(ports, { mode: 'fix', concurrency: 4 }, telemetry, invocation);

    // Assess
    expect(sent.map((message) => [message.service.serviceName, message.changeKey])).toEqual([
      ['behind', `${SECRET}|AWSCURRENT|v-2`],
    ]);
    expect(report.summary).toMatchObject({ queued: 1, stale: 1, wouldRedeploy: 0 });
    expect(logged).toEqual([['reconcile report', { report }]]);
    expect(counted).toEqual([
      ['ServicesStale', 1],
      ['ServicesQueued', 1],
    ]);
  });

  it('only reports in report mode: nothing queued, the stale services would be redeployed', async () => {
    // Prepare
    const { ports, sent, logged, counted, telemetry } = setUp(BEHIND);

    // Act
    const report = await reconcile(ports, { mode: 'report', concurrency: 4 }, telemetry, invocation);

    // Assess
    expect(sent).toEqual([]);
    expect(report.dryRun).toBe(true);
    expect(report.services.map((entry) => [entry.serviceName, entry.action])).toEqual([
      ['behind', 'would-redeploy'],
    ]);
    expect(logged.map(([message]) => message)).toEqual(['reconcile report']);
    expect(counted).toEqual([
      ['ServicesStale', 1],
      ['ServicesQueued', 0],
    ]);
  });

  it('counts zero stale services when every service is current, so the alarm sees the run', async () => {
    // Prepare
    const { ports, sent, counted, telemetry } = setUp({ old: BEHIND.current, current: BEHIND.current });

    // Act
    const report = await reconcile(ports, { mode: 'fix', concurrency: 4 }, telemetry, invocation);

    // Assess
    expect(report.services).toEqual([]);
    expect(sent).toEqual([]);
    expect(counted).toContainEqual(['ServicesStale', 0]);
  });
});

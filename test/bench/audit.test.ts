/** The benchmark's audit: its simulated account and metadata, and the calls the audit makes against the least. */
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  type AuditMeasurement,
  leastAuditCalls,
  measureAudit,
  totalAuditCalls,
} from '../../bench/audit.ts';
import { auditAccount, REFERENCES_PER_TASK_DEFINITION } from '../../bench/audit-account.ts';
import { renderAudit } from '../../bench/audit-report.ts';
import { SimulatedMetadata } from '../../bench/simulated-metadata.ts';

const SMALL = { services: 400, clusters: 4, items: 60, changedItems: 4 };

describe('auditAccount', () => {
  it('references every item, three per task definition, and marks the readers of changed items stale', () => {
    const account = auditAccount(SMALL);

    const referenced = new Set(
      [...account.taskDefinitions.values()].flatMap((definition) =>
        definition.secretsByContainer.flat().map((valueFrom) => {
          const item = [...account.items.values()].find(
            (candidate) =>
              valueFrom === candidate.arn ||
              valueFrom === candidate.name ||
              valueFrom.startsWith(`${candidate.arn}:`),
          );
          return item?.arn;
        }),
      ),
    );

    expect(referenced.size).toBe(SMALL.items);
    expect(referenced.has(undefined)).toBe(false);
    for (const definition of account.taskDefinitions.values()) {
      expect(definition.secretsByContainer.flat()).toHaveLength(REFERENCES_PER_TASK_DEFINITION);
    }
    expect(account.changedItemArns.size).toBe(SMALL.changedItems);
    expect(account.matchingServiceArns.size).toBeGreaterThan(0);
    expect(account.matchingServiceArns.size).toBeLessThan(SMALL.services);
  });
});

describe('SimulatedMetadata', () => {
  it('answers a secret by ARN and parameters by name, and refuses a filter of more than 50 names', async () => {
    const account = auditAccount(SMALL);
    const metadata = new SimulatedMetadata(account.items.values(), { latencyMs: 0 });
    const [secret] = [...account.items.values()].filter((item) => item.kind === 'secretsmanager');
    const parameters = [...account.items.values()].filter((item) => item.kind === 'ssm');

    const versions = await metadata.answer('ListSecretVersionIds', { SecretId: secret?.arn });
    const described = await metadata.answer('DescribeParameters', {
      ParameterFilters: [
        { Key: 'Name', Option: 'Equals', Values: parameters.slice(0, 3).map((p) => p.name) },
      ],
    });
    const tooMany = await metadata.answer('DescribeParameters', {
      ParameterFilters: [
        { Key: 'Name', Option: 'Equals', Values: Array.from({ length: 51 }, (_, i) => `/p/${i}`) },
      ],
    });

    expect(versions).toMatchObject({ ok: { ARN: secret?.arn, Name: secret?.name } });
    expect(described).toMatchObject({
      ok: { Parameters: parameters.slice(0, 3).map((p) => ({ Name: p.name })) },
    });
    expect(tooMany).toMatchObject({ error: 'ValidationException' });
    expect(metadata.calls).toEqual({
      ListSecretVersionIds: { answered: 1, throttled: 0, refused: 0 },
      DescribeParameters: { answered: 1, throttled: 0, refused: 1 },
    });
  });
});

describe('measureAudit', () => {
  it('makes the least calls of every action and redeploys each stale service once', async () => {
    // Act
    const measurement = await measureAudit({ ...SMALL, latencyMs: 20 });

    // Assess
    const answered = Object.fromEntries(
      AUDIT_ACTIONS.map((action) => [action, measurement.calls[action]?.answered ?? 0]),
    );
    expect(measurement.error).toBeNull();
    expect(answered).toEqual(leastAuditCalls(auditAccount(SMALL)));
    expect(totalAuditCalls(measurement.least)).toBeGreaterThan(0);
    expect(measurement.least.ListSecretVersionIds).toBe(36);
    expect(measurement.least.DescribeParameters).toBe(1);
    expect(measurement).toMatchObject({
      redeployedOnce: measurement.staleServices,
      redeployedTwiceOrMore: 0,
      missed: 0,
      unexpected: 0,
      reported: {
        stale: measurement.staleServices,
        redeployed: measurement.staleServices,
        failed: 0,
        items: 60,
      },
    });
  });
});

describe('renderAudit', () => {
  const measurement = (overCalls: number): AuditMeasurement => {
    const least = leastAuditCalls(auditAccount(SMALL));
    return {
      spec: { ...SMALL, latencyMs: 20 },
      taskDefinitions: 80,
      staleServices: least.UpdateService,
      calls: Object.fromEntries(
        AUDIT_ACTIONS.map((action) => [
          action,
          {
            answered: least[action] + (action === 'DescribeTaskDefinition' ? overCalls : 0),
            throttled: 0,
            refused: 0,
          },
        ]),
      ),
      least,
      reported: {
        stale: least.UpdateService,
        redeployed: least.UpdateService,
        failed: 0,
        items: SMALL.items,
      },
      redeployedOnce: least.UpdateService,
      redeployedTwiceOrMore: 0,
      missed: 0,
      unexpected: 0,
      toLastUpdateMs: 60_000,
      toEndMs: 60_000,
      wallMs: 500,
      maxRssMb: 150,
      error: null,
    };
  };

  it.each([
    [0, 'met', '+0.0%'],
    [100, 'missed', '+'],
  ])('says the calls goal is %s with %i calls over the least', (over, verdict, share) => {
    const least = totalAuditCalls(leastAuditCalls(auditAccount(SMALL)));

    const text = renderAudit({ latencyMs: 20, updatesPerSecond: 2, measurements: [measurement(over)] });

    expect(text).toContain(
      `**Audit calls within 10% of the least: ${verdict}.** ${least + over} of ${least} (${share}`,
    );
    expect(text).toContain(
      `| **all calls** (throttled and refused included) | **${least}** | **${least + over}** |`,
    );
  });

  it('renders nothing without measurements', () => {
    expect(renderAudit({ latencyMs: 20, updatesPerSecond: 2, measurements: [] })).toBe('');
  });
});

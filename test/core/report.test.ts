import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../functions/contract.ts';
import { parseEvent } from '../../functions/core/change.ts';
import {
  type Action,
  buildReport,
  failureReason,
  metricValuesOf,
  type ServiceOutcome,
  withRollouts,
} from '../../functions/core/report.ts';

const { change } = parseEvent(JSON.parse(readFileSync('events/ssm-parameter-update.json', 'utf8')));
const ARN = (name: string) => `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`;

function outcome(name: string, action: Action, deploymentId: string | null = null): ServiceOutcome {
  return {
    serviceArn: ARN(name),
    serviceName: name,
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}:1`,
    action,
    reason: action === 'skipped' ? 'opted-out' : action === 'failed' ? 'Error: boom' : null,
    deploymentId,
    via: action === 'redeployed' ? 'ecs' : null,
    strategy: null,
    deploymentGroup: null,
    detail: null,
    references: [],
  };
}

const report = (outcomes: ServiceOutcome[], ignored: 'metadata-only' | null = null) =>
  buildReport({
    change,
    ignored,
    dryRun: false,
    outcomes,
    scanned: { clusters: 1, services: 9, taskDefinitions: 4 },
    durationMs: 12,
  });

describe('buildReport', () => {
  it('counts every action in the summary, matched being all of them', () => {
    const built = report([
      outcome('a', 'redeployed', 'ecs-svc/1'),
      outcome('b', 'redeployed', 'ecs-svc/2'),
      outcome('c', 'skipped'),
      outcome('d', 'failed'),
      outcome('e', 'queued'),
      outcome('f', 'would-redeploy'),
      outcome('g', 'deferred'),
    ]);
    expect(built.summary).toEqual({
      matched: 7,
      redeployed: 2,
      wouldRedeploy: 1,
      queued: 1,
      deferred: 1,
      skipped: 1,
      failed: 1,
    });
  });

  it('lists the services by ARN, whatever order they were decided in', () => {
    const built = report([outcome('zeta', 'queued'), outcome('alpha', 'queued'), outcome('mid', 'queued')]);
    expect(built.services.map((service) => service.serviceName)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('reports the change without its parsed reference item', () => {
    const built = report([]);
    expect(built.change).toEqual({
      kind: 'ssm',
      arn: change.arn,
      name: change.name,
      account: change.account,
      region: change.region,
      label: null,
      versionId: change.versionId,
      trigger: change.trigger,
    });
    expect(built.change).not.toHaveProperty('item');
  });
});

describe('metricValuesOf', () => {
  it('counts a handled change and its services', () => {
    const values = metricValuesOf(report([outcome('a', 'redeployed', 'x'), outcome('b', 'failed')]));
    expect(values.get(METRICS.ChangesHandled)).toBe(1);
    expect(values.get(METRICS.EventsIgnored)).toBe(0);
    expect(values.get(METRICS.ServicesMatched)).toBe(2);
    expect(values.get(METRICS.ServicesRedeployed)).toBe(1);
    expect(values.get(METRICS.ServicesFailed)).toBe(1);
  });

  it('counts a deferred service as queued and as flapping', () => {
    const values = metricValuesOf(report([outcome('a', 'queued'), outcome('b', 'deferred')]));
    expect(values.get(METRICS.ServicesQueued)).toBe(2);
    expect(values.get(METRICS.ServicesFlapping)).toBe(1);
  });

  it('counts an ignored event as ignored, not handled', () => {
    const values = metricValuesOf(report([], 'metadata-only'));
    expect(values.get(METRICS.ChangesHandled)).toBe(0);
    expect(values.get(METRICS.EventsIgnored)).toBe(1);
  });
});

describe('failureReason', () => {
  it.each([
    [new TypeError('no such thing'), 'TypeError: no such thing'],
    ['a string', 'Error: a string'],
    [42, 'Error: 42'],
  ])('says %s as "Name: message"', (error, expected) => {
    expect(failureReason(error)).toBe(expected);
  });
});

describe('withRollouts', () => {
  it('gives only redeployed services their rollout and counts each end in the summary', () => {
    const base = report([
      outcome('a', 'redeployed', 'd-1'),
      outcome('b', 'redeployed', 'd-2'),
      outcome('c', 'skipped'),
    ]);
    const followed = withRollouts(
      base,
      new Map([
        [ARN('a'), { state: 'completed' as const, reason: null, seconds: 90 }],
        [ARN('b'), { state: 'failed' as const, reason: 'circuit breaker', seconds: 300 }],
        [ARN('c'), { state: 'completed' as const, reason: null, seconds: 1 }],
      ]),
    );
    expect(followed.services.find((s) => s.serviceName === 'a')?.rollout?.state).toBe('completed');
    expect(followed.services.find((s) => s.serviceName === 'b')?.rollout?.reason).toBe('circuit breaker');
    expect(followed.services.find((s) => s.serviceName === 'c')?.rollout).toBeUndefined();
    expect(followed.summary).toMatchObject({ redeployed: 2, completed: 1, rolloutFailed: 1 });
  });
});

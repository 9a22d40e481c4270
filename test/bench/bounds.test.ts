import { describe, expect, it } from 'vitest';
import { bucketBound, latencyFloorSeconds, leastCalls } from '../../bench/bounds.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';

const CHANGED = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const LIMITS = {
  ListClusters: { burst: 50, perSecond: 20 },
  ListServices: { burst: 100, perSecond: 20 },
  DescribeServices: { burst: 100, perSecond: 20 },
  DescribeTaskDefinition: { burst: 50, perSecond: 20 },
  UpdateService: { burst: 2, perSecond: 2 },
};

describe('leastCalls', () => {
  it('counts one ListServices page per 100 services and one DescribeServices per 10, per cluster', () => {
    const account = syntheticAccount({ services: 1_050, clusters: 3, changedSecretArn: CHANGED });

    expect(leastCalls(account, false)).toEqual({
      ListClusters: 1,
      ListServices: 4 + 4 + 4,
      DescribeServices: 35 + 35 + 35,
      DescribeTaskDefinition: 210,
      UpdateService: 11,
    });
    expect(leastCalls(account, true).DescribeTaskDefinition).toBe(0);
  });
});

describe('syntheticAccount', () => {
  it('has 20% as many task definitions as services and 1% of services using the secret', () => {
    const account = syntheticAccount({ services: 10_000, clusters: 100, changedSecretArn: CHANGED });

    expect(account.taskDefinitions.size).toBe(2_000);
    expect(account.matchingServiceArns.size).toBe(100);
    expect(
      new Set(account.clusters.flatMap((cluster) => cluster.services.map((s) => s.taskDefinitionArn))).size,
    ).toBe(2_000);
  });
});

describe('bucketBound', () => {
  it.each([
    [
      'all within the bursts',
      {
        ListClusters: 1,
        ListServices: 10,
        DescribeServices: 10,
        DescribeTaskDefinition: 20,
        UpdateService: 1,
      },
      0,
    ],
    [
      'task definitions beyond their burst',
      {
        ListClusters: 1,
        ListServices: 100,
        DescribeServices: 1_000,
        DescribeTaskDefinition: 2_000,
        UpdateService: 100,
      },
      97.5,
    ],
    [
      'updates beyond theirs',
      {
        ListClusters: 1,
        ListServices: 100,
        DescribeServices: 1_000,
        DescribeTaskDefinition: 0,
        UpdateService: 100,
      },
      49,
    ],
  ])('takes the slowest bucket: %s', (_case, calls, seconds) => {
    expect(bucketBound(calls, LIMITS).seconds).toBe(seconds);
  });

  it('leaves out of the latency floor the steps a run does not make', () => {
    expect(
      latencyFloorSeconds(
        {
          ListClusters: 1,
          ListServices: 1,
          DescribeServices: 1,
          DescribeTaskDefinition: 0,
          UpdateService: 1,
        },
        20,
      ),
    ).toBe(0.08);
  });
});

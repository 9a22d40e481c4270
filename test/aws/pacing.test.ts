import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ecsLimits, paceEcsClient } from '../../functions/aws/ecs-pacing.ts';
import { TokenBucket } from '../../functions/core/token-bucket.ts';
import { ecsRequestHandler, TEST_CREDENTIALS } from '../support/ecs-http.ts';

describe('TokenBucket', () => {
  it('spends the burst at once, then waits for each token to refill, in call order', async () => {
    const waits: number[] = [];
    const bucket = new TokenBucket(
      { burst: 2, perSecond: 4 },
      () => 0,
      async (ms) => {
        waits.push(ms);
      },
    );

    await Promise.all([bucket.take(), bucket.take(), bucket.take(), bucket.take()]);

    expect(waits).toEqual([250, 500]);
  });

  it('refills with time up to the burst', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(
      { burst: 2, perSecond: 1 },
      () => now,
      async (ms) => {
        waits.push(ms);
      },
    );
    await bucket.take();
    await bucket.take();

    now = 60_000;
    await bucket.take();
    await bucket.take();
    await bucket.take();

    expect(waits).toEqual([1000]);
  });

  it('refuses a bucket that could never give a token', () => {
    expect(() => new TokenBucket({ burst: 0, perSecond: 1 })).toThrow('burst >= 1');
  });
});

describe('paceEcsClient', () => {
  it('takes a token for every attempt of a paced action, retries included', async () => {
    let answered = 0;
    const client = new ECSClient({
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      maxAttempts: 3,
      requestHandler: ecsRequestHandler(() => {
        answered += 1;
        return answered === 1
          ? { error: 'ThrottlingException', message: 'Rate exceeded' }
          : { ok: { clusterArns: [] } };
      }),
    });
    const waits: number[] = [];
    paceEcsClient(
      client,
      { ListClusters: { burst: 1, perSecond: 10 } },
      { now: () => 0, sleep: async (ms) => void waits.push(ms) },
    );

    await client.send(new ListClustersCommand({}));
    await client.send(new ListClustersCommand({}));

    expect(answered).toBe(3);
    expect(waits).toEqual([100, 200]);
  });
});

describe('ecsLimits', () => {
  it("gives a process its share of every ECS bucket (burst rounded down) and UpdateService at the process's own rate", () => {
    const limits = ecsLimits(1, 0.083333);

    expect(limits.ListServices).toEqual({ burst: 8, perSecond: 20 * 0.083333 });
    expect(limits.DescribeTaskDefinition).toEqual({ burst: 4, perSecond: 20 * 0.083333 });
    expect(limits.UpdateService).toEqual({ burst: 1, perSecond: 1 });
  });

  it('never leaves a bucket without a token, however small the share', () => {
    expect(ecsLimits(1, 0.001).ListClusters).toEqual({ burst: 1, perSecond: 0.02 });
  });

  it('paces a client to its share: a tenth of ListClusters is 5 at once, then one every half second', async () => {
    let answered = 0;
    const client = new ECSClient({
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      requestHandler: ecsRequestHandler(() => {
        answered += 1;
        return { ok: { clusterArns: [] } };
      }),
    });
    const waits: number[] = [];
    paceEcsClient(client, ecsLimits(2, 0.1), { now: () => 0, sleep: async (ms) => void waits.push(ms) });

    for (let call = 0; call < 7; call += 1) await client.send(new ListClustersCommand({}));

    expect(answered).toBe(7);
    expect(waits).toEqual([500, 1000]);
  });
});

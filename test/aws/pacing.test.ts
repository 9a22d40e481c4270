import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { paceEcsClient } from '../../functions/aws/ecs-pacing.ts';
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

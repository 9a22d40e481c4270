import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { SimulatedEcs } from '../../bench/simulated-ecs.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';
import { installVirtualClock, nodeTimerDelay } from '../../bench/virtual-clock.ts';
import { RETRY_CONFIG } from '../../functions/aws/clients.ts';

describe('nodeTimerDelay', () => {
  it.each([
    [49.2, 50],
    [50, 50],
    [0.4, 1],
    [0, 1],
    [undefined, 1],
    [Number.NaN, 1],
  ])('turns a delay of %s ms into %s ms, as Node does', (ms, expected) => {
    expect(nodeTimerDelay(ms)).toBe(expected);
  });
});

describe('installVirtualClock', () => {
  it('runs the SDK retry backoff and adaptive rate limiter on virtual time', async () => {
    const realStart = performance.now();
    const clock = installVirtualClock(Date.UTC(2025, 10, 5));
    try {
      const account = syntheticAccount({
        services: 10,
        clusters: 1,
        changedSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf',
      });
      // One token every 5 s: four reads need 15 virtual seconds and many throttled attempts.
      const ecs = new SimulatedEcs(account, {
        latencyMs: 20,
        buckets: { DescribeTaskDefinition: { burst: 1, perSecond: 0.2 } },
      });
      const client = new ECSClient({
        ...RETRY_CONFIG,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestHandler: ecs.requestHandler,
      });
      const taskDefinition = [...account.taskDefinitions.keys()][0];
      const started = clock.now();

      await clock.run(() =>
        Promise.all(
          Array.from({ length: 4 }, () => client.send(new DescribeTaskDefinitionCommand({ taskDefinition }))),
        ),
      );

      expect(clock.now() - started).toBeGreaterThanOrEqual(15_000);
      expect(ecs.stats.calls.DescribeTaskDefinition?.answered).toBe(4);
      expect(ecs.stats.calls.DescribeTaskDefinition?.throttled).toBeGreaterThan(0);
    } finally {
      clock.uninstall();
    }
    expect(performance.now() - realStart).toBeLessThan(5_000);
  });

  it('rejects with the error the work throws', async () => {
    const clock = installVirtualClock(0);
    try {
      const failing = clock.run(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        throw new Error('boom');
      });

      await expect(failing).rejects.toThrow('boom');
      expect(clock.now()).toBe(1_000);
    } finally {
      clock.uninstall();
    }
  });

  it('waits for real I/O the work needs, however many quick steps it takes', async () => {
    const realSetTimeout = setTimeout;
    const clock = installVirtualClock(0, { stallAfterRealMs: 5_000 });
    try {
      const value = await clock.run(async () => {
        // Stands in for a file read: a real delay, no virtual timer pending meanwhile.
        await new Promise((resolve) => realSetTimeout(resolve, 1_500));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return 'read';
      });

      expect(value).toBe('read');
      expect(clock.now()).toBe(2_000);
    } finally {
      clock.uninstall();
    }
  });

  it('rejects work that waits on neither virtual time nor anything real for too long', async () => {
    const clock = installVirtualClock(0, { stallAfterRealMs: 200 });
    try {
      const stuck = clock.run(() => new Promise<never>(() => {}));

      await expect(stuck).rejects.toThrow(/waiting on something other than virtual time/);
    } finally {
      clock.uninstall();
    }
  });
});

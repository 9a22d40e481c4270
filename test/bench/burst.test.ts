/** The burst measurement's pipelines, counted on a small account: the buffer's one scan against a scan per change. */
import { describe, expect, it } from 'vitest';
import { leastCalls } from '../../bench/bounds.ts';
import { burstAccount, burstOf, measureBurst } from '../../bench/burst.ts';
import { burstGoal, burstYardstick } from '../../bench/burst-report.ts';

const SHAPE = { services: 300, clusters: 3, latencyMs: 20 };

describe('burstOf', () => {
  it('sends 40 changes over 10 s, some services reading two of the changed items', () => {
    const account = burstAccount(SHAPE.services, SHAPE.clusters);

    const burst = burstOf(account);

    expect(burst.events).toHaveLength(40);
    expect(burst.events.at(-1)?.at).toBeLessThan(10_000);
    expect(new Set(burst.events.map((event) => event.parsed.change.arn)).size).toBe(40);
    expect(burst.events.filter((event) => event.parsed.change.kind === 'ssm')).toHaveLength(10);
    expect(burst.events.every((event) => event.parsed.ignored === null)).toBe(true);
    expect(burst.changedServices.size).toBeGreaterThan(30);
  });
});

describe('measureBurst', () => {
  it('buffered: one scan for the whole burst, one metadata read per change, one UpdateService per changed service', async () => {
    const account = burstAccount(SHAPE.services, SHAPE.clusters);
    const least = leastCalls(account, false);

    const measured = await measureBurst({ ...SHAPE, pipeline: 'buffered' });

    expect(measured.calls.ListClusters?.answered).toBe(least.ListClusters);
    expect(measured.calls.ListServices?.answered).toBe(least.ListServices);
    expect(measured.calls.DescribeServices?.answered).toBe(least.DescribeServices);
    expect(measured.calls.DescribeTaskDefinition?.answered).toBe(least.DescribeTaskDefinition);
    expect(measured.calls.UpdateService?.answered).toBe(measured.changedServices);
    expect(measured.metadataReads).toBe(40);
    expect(measured).toMatchObject({ redeployedTwiceOrMore: 0, missed: 0, unexpected: 0, reportedFailed: 0 });
    // The batching window closes 10 s after the first change: nothing is redeployed before it.
    expect(measured.toLastUpdateMs).toBeGreaterThan(10_000);
    expect(
      burstGoal([{ services: 300, clusters: 3, measurements: { buffered: measured }, notRun: {} }]).met,
    ).toBe(true);
  });

  it('a scan per change: 40 walks of the inventory, and services reading two changed items redeployed twice', async () => {
    const measured = await measureBurst({ ...SHAPE, pipeline: 'per-change' });

    expect(measured.calls.ListClusters?.answered).toBe(40);
    expect(measured.metadataReads).toBe(40);
    expect(measured.redeployedTwiceOrMore).toBeGreaterThan(0);
    expect(measured.missed).toBe(0);
    const { total } = burstYardstick(SHAPE.services, SHAPE.clusters, measured.changedServices, 40);
    expect(
      burstGoal([{ services: 300, clusters: 3, measurements: { buffered: measured }, notRun: {} }]).met,
    ).toBe(false);
    expect(Object.values(measured.calls).reduce((sum, count) => sum + count.answered, 0)).toBeGreaterThan(
      5 * total,
    );
  });
});

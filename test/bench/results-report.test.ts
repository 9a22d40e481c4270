/**
 * bench/RESULTS.md from measurements: its words follow the data and the pipelines' own account of how they
 * were built, the goals are judged on the thresholds they state, and a failure the run reports is shown.
 */
import { describe, expect, it } from 'vitest';
import { leastCalls } from '../../bench/bounds.ts';
import type { Measurement, RunMeasurement } from '../../bench/measurement.ts';
import type { PipelineFacts, PipelineName } from '../../bench/pipelines.ts';
import { GOALS } from '../../bench/results-goals.ts';
import { renderResults, type SizeResults } from '../../bench/results-report.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';

const CHANGED = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const LATENCY_MS = 20;

const OURS: PipelineFacts = {
  runs: '`handleTheChange`',
  adapters: ['InventoryA', 'CacheB', 'RedeployerC'],
  retryMode: 'adaptive',
  maxAttempts: 7,
  updateAttempts: 1,
  paced: true,
  updatesPerSecond: 3,
  concurrency: 6,
};
const NAIVE: PipelineFacts = {
  runs: 'the naive loop',
  adapters: [],
  retryMode: 'standard',
  maxAttempts: 4,
  updateAttempts: 4,
  paced: false,
  updatesPerSecond: null,
  concurrency: 1,
};

/** A run that made exactly the least calls and ended at `seconds`, with what else is given. */
function run(
  calls: Record<string, number>,
  seconds: number,
  more: Partial<RunMeasurement> = {},
): RunMeasurement {
  return {
    calls: Object.fromEntries(
      Object.entries(calls).map(([action, answered]) => [action, { answered, throttled: 0, refused: 0 }]),
    ),
    toLastUpdateMs: seconds * 1000,
    toFirstUpdateMs: seconds * 500,
    toLastReadMs: seconds * 900,
    toLastServedMs: {},
    toEndMs: seconds * 1000,
    redeployedOnce: 10,
    redeployedTwiceOrMore: 0,
    missed: 0,
    unexpected: 0,
    reportedFailed: 0,
    rssPeakMb: 120,
    heapUsedPeakMb: 40,
    wallMs: 500,
    error: null,
    ...more,
  };
}

function results(times: Record<PipelineName, { cold: number; warm: number }>, naiveFailed = 0): SizeResults {
  const account = syntheticAccount({ services: 1_000, clusters: 20, changedSecretArn: CHANGED });
  const least = { cold: leastCalls(account, false), warm: leastCalls(account, true) };
  const measurement = (pipeline: PipelineName): Measurement => ({
    spec: { pipeline, services: 1_000, clusters: 20, latencyMs: LATENCY_MS },
    matches: account.matchingServiceArns.size,
    facts: pipeline === 'ours' ? OURS : NAIVE,
    cold: run(least.cold, times[pipeline].cold, { reportedFailed: pipeline === 'naive' ? naiveFailed : 0 }),
    warm: run(least.warm, times[pipeline].warm),
    memory: { rssBeforeMb: 100, maxRssMb: 130 },
  });
  return {
    services: 1_000,
    clusters: 20,
    taskDefinitions: account.taskDefinitions.size,
    matches: account.matchingServiceArns.size,
    least,
    measurements: { ours: [measurement('ours')], naive: [measurement('naive')] },
  };
}

const render = (size: SizeResults) =>
  renderResults({
    command: 'npm run bench',
    machine: { node: 'v24', cpus: 2, cpuModel: 'test', platform: 'linux' },
    latencyMs: LATENCY_MS,
    repeats: 1,
    sizes: [size],
  });

const goalLine = (text: string, goal: RegExp) => text.split('\n').find((line) => goal.test(line)) ?? '';

describe('renderResults', () => {
  it('describes each pipeline as it says it was built', () => {
    const text = render(results({ ours: { cold: 9, warm: 4 }, naive: { cold: 47, warm: 47 } }));

    expect(text).toContain(
      '**Ours**: `handleTheChange` with the adapters the change functions pick for direct delivery without a state table (InventoryA, CacheB and RedeployerC)',
    );
    expect(text).toContain(
      'adaptive retries, 7 attempts a call, UpdateService 1 (the redeployer retries it itself)',
    );
    expect(text).toContain('UpdateService at 3/s, concurrency 6');
    expect(text).toContain(
      '**Naive**: the naive loop, one service after another; standard retries, 4 attempts a call, no client-side pacing',
    );
    // The lower bound holds UpdateService at the rate ours ran with.
    expect(text).toMatch(/UpdateService 3 burst, 3\/s \(the tool's configured rate/);
  });

  it('shows the services a run reported failed, and the run as failed', () => {
    const text = render(results({ ours: { cold: 9, warm: 4 }, naive: { cold: 47, warm: 47 } }, 3));

    expect(text).toMatch(/\| services the run reported failed \| {2}\| {2}\| 0 \| 0 \| 3 \| 0 \|/);
  });

  it('judges each goal on the threshold it states', () => {
    const met = render(
      results({ ours: { cold: 8, warm: 8 / GOALS.warmSpeedup }, naive: { cold: 47, warm: 47 } }),
    );
    const missed = render(
      results({ ours: { cold: 8, warm: 8 / GOALS.warmSpeedup + 0.5 }, naive: { cold: 47, warm: 47 } }),
    );

    expect(goalLine(met, /warm runs at least/)).toContain(
      `**warm runs at least ${GOALS.warmSpeedup}× faster than cold ones: met.**`,
    );
    expect(goalLine(missed, /warm runs at least/)).toContain(': missed.**');
    expect(goalLine(met, /API calls within/)).toContain(`within ${GOALS.callsOverLeast * 100}% of the least`);
    expect(goalLine(met, /under \d+ MB/)).toContain(`**under ${GOALS.memoryMb} MB: met.**`);
  });

  it('explains a slow warm run from the measured round trips, not from a design', () => {
    // 1,000 services warm, UpdateService at 3/s: its buckets allow 2.33 s; 6 s with nothing throttled is round trips.
    const text = render(results({ ours: { cold: 9, warm: 6 }, naive: { cold: 47, warm: 47 } }));
    const warm = goalLine(text, /warm runs at least/);

    expect(warm).toContain(`6.00 s is 300 round trips of ${LATENCY_MS} ms`);
    expect(warm).toContain('a warm run skips only DescribeTaskDefinition');
  });

  it('says where the time of a missed cold bound went, from the measured time line', () => {
    const size = results({ ours: { cold: 20, warm: 4 }, naive: { cold: 47, warm: 47 } });
    const cold = size.measurements.ours[0]?.cold as RunMeasurement;
    const slow = { ...cold, toFirstUpdateMs: 19_000, toLastReadMs: 18_000 };
    const ours = [{ ...(size.measurements.ours[0] as Measurement), cold: slow }];
    const bound = goalLine(
      render({ ...size, measurements: { ...size.measurements, ours } }),
      /services cold within/,
    );

    expect(bound).toContain(': missed.**');
    expect(bound).toContain(
      "the scan's last read was answered at 18.00 s, where its reads' buckets allow 7.50 s (DescribeTaskDefinition)",
    );
    expect(bound).toContain(
      'UpdateService was answered from 19.00 s to 20.00 s, where its 10 calls need 2.33 s at 3/s',
    );
    expect(bound).toContain("the last UpdateService came 2.00 s after the scan's last read");
  });
});

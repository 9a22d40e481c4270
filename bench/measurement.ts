/**
 * One measurement: a pipeline on a synthetic account, cold then warm, under a virtual clock. Meant to
 * run alone in its process (bench/measure.ts), so the memory it reports is that run's and no other's.
 */
import { readFile } from 'node:fs/promises';
import { type ParsedEvent, parseEvent } from '../functions/core/change.ts';
import { PIPELINES, type PipelineFacts, type PipelineName } from './pipelines.ts';
import { type CallCount, SimulatedEcs } from './simulated-ecs.ts';
import { syntheticAccount } from './synthetic-account.ts';
import { installVirtualClock } from './virtual-clock.ts';

export interface MeasurementSpec {
  readonly pipeline: PipelineName;
  readonly services: number;
  readonly clusters: number;
  readonly latencyMs: number;
}

export interface RunMeasurement {
  readonly calls: Readonly<Record<string, CallCount>>;
  /** Virtual ms from the run's start to the last UpdateService answered; null when none was. */
  readonly toLastUpdateMs: number | null;
  readonly toFirstUpdateMs: number | null;
  readonly toLastReadMs: number | null;
  /** Virtual ms from the run's start to the last successful call of each action. */
  readonly toLastServedMs: Readonly<Record<string, number>>;
  /** Virtual ms until the run returned. */
  readonly toEndMs: number;
  /** Matching services the simulator saw redeployed once, more than once, or never; others redeployed. */
  readonly redeployedOnce: number;
  readonly redeployedTwiceOrMore: number;
  readonly missed: number;
  readonly unexpected: number;
  /** Largest RSS and heapUsed sampled while the run went on (every few timers, and at its end). */
  readonly rssPeakMb: number;
  readonly heapUsedPeakMb: number;
  /** Real ms. */
  readonly wallMs: number;
  /** Services the run itself reported failed. */
  readonly reportedFailed: number;
  /** Why the run threw, or how many services it reported failed; null when neither. */
  readonly error: string | null;
}

export interface MemoryMeasurement {
  /** RSS after loading modules and building the account, before the first run. */
  readonly rssBeforeMb: number;
  /** The kernel's peak RSS of the whole process (getrusage), start-up and simulator included. */
  readonly maxRssMb: number;
}

export interface Measurement {
  readonly spec: MeasurementSpec;
  readonly matches: number;
  /** How the pipeline was built, as it says. */
  readonly facts: PipelineFacts;
  readonly cold: RunMeasurement;
  readonly warm: RunMeasurement;
  readonly memory: MemoryMeasurement;
}

/** The rotation every run announces: the real-shape sample of a Secret Label Updated event. */
export const ROTATION_EVENT = 'events/secretsmanager-label-updated.json';
const EVENT_FILE = new URL(`../${ROTATION_EVENT}`, import.meta.url);
/** Between the cold and the warm run: long enough for every bucket, ours and the account's, to refill. */
export const IDLE_BETWEEN_RUNS_MS = 60_000;
/** How bench/measure.ts marks its one line of output. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
/** Memory is sampled once every this many virtual timers, and at the end of each run. */
export const SAMPLE_EVERY_STEPS = 16;
const MB = 1024 * 1024;

export async function readRotation(): Promise<{ readonly parsed: ParsedEvent; readonly at: number }> {
  const event = JSON.parse(await readFile(EVENT_FILE, 'utf8')) as { time: string };
  return { parsed: parseEvent(event), at: Date.parse(event.time) };
}

export async function measure(spec: MeasurementSpec): Promise<Measurement> {
  // Taken before the clock is faked: wall time must stay real.
  const realNow = performance.now.bind(performance);
  const { parsed, at } = await readRotation();
  const clock = installVirtualClock(at);
  try {
    const account = syntheticAccount({
      services: spec.services,
      clusters: spec.clusters,
      changedSecretArn: parsed.change.arn,
    });
    const ecs = new SimulatedEcs(account, { latencyMs: spec.latencyMs });
    const pipeline = PIPELINES[spec.pipeline](ecs.requestHandler);

    let rssPeak = 0;
    let heapPeak = 0;
    let steps = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      rssPeak = Math.max(rssPeak, usage.rss);
      heapPeak = Math.max(heapPeak, usage.heapUsed);
    };
    const onStep = () => {
      steps += 1;
      if (steps % SAMPLE_EVERY_STEPS === 0) sample();
    };
    const rssBefore = process.memoryUsage().rss;

    const runOnce = async (): Promise<RunMeasurement> => {
      ecs.resetStats();
      rssPeak = 0;
      heapPeak = 0;
      sample();
      const startedAt = clock.now();
      const startedReal = realNow();
      let error: string | null = null;
      let reportedFailed = 0;
      try {
        const outcome = await clock.run(() => pipeline.run(parsed), onStep);
        reportedFailed = outcome.failed;
        if (outcome.failed > 0) error = `the run reported ${outcome.failed} services failed`;
      } catch (caught) {
        error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
      }
      const wallMs = realNow() - startedReal;
      const toEndMs = clock.now() - startedAt;
      sample();
      const stats = ecs.stats;
      const since = (at: number | null) => (at === null ? null : at - startedAt);
      let once = 0;
      let more = 0;
      let unexpected = 0;
      for (const [arn, updates] of stats.updatesByService) {
        if (!account.matchingServiceArns.has(arn)) unexpected += 1;
        else if (updates === 1) once += 1;
        else more += 1;
      }
      return {
        calls: stats.calls,
        toLastUpdateMs: since(stats.lastUpdateAt),
        toFirstUpdateMs: since(stats.firstUpdateAt),
        toLastReadMs: since(stats.lastReadAt),
        toLastServedMs: Object.fromEntries(
          Object.entries(stats.lastServedAt).map(([action, at]) => [action, at - startedAt]),
        ),
        toEndMs,
        redeployedOnce: once,
        redeployedTwiceOrMore: more,
        missed: account.matchingServiceArns.size - once - more,
        unexpected,
        rssPeakMb: rssPeak / MB,
        heapUsedPeakMb: heapPeak / MB,
        wallMs,
        reportedFailed,
        error,
      };
    };

    const cold = await runOnce();
    await clock.idle(IDLE_BETWEEN_RUNS_MS);
    const warm = await runOnce();

    return {
      spec,
      matches: account.matchingServiceArns.size,
      facts: await pipeline.facts(),
      cold,
      warm,
      memory: {
        rssBeforeMb: rssBefore / MB,
        // getrusage reports kilobytes on Linux.
        maxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
      },
    };
  } finally {
    clock.uninstall();
  }
}

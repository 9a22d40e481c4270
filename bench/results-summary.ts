/**
 * Measurements → the numbers the results document states: medians over the repeats, the worst repeat
 * for correctness and memory, and the lower bounds each run is held against. Pure.
 */
import { ecsLimits } from '../functions/aws/ecs-pacing.ts';
import type { BucketLimit } from '../functions/core/token-bucket.ts';
import {
  type BucketBound,
  bucketBound,
  type CallsByAction,
  latencyFloorSeconds,
  SCAN_ACTIONS,
  type ScanAction,
  totalCalls,
} from './bounds.ts';
import type { Measurement, RunMeasurement } from './measurement.ts';
import type { PipelineFacts, PipelineName } from './pipelines.ts';
import { AWS_ECS_BUCKETS } from './simulated-ecs.ts';

export interface SizeResults {
  readonly services: number;
  readonly clusters: number;
  readonly taskDefinitions: number;
  readonly matches: number;
  readonly least: { readonly cold: CallsByAction; readonly warm: CallsByAction };
  readonly measurements: Readonly<Record<PipelineName, readonly Measurement[]>>;
}

export type Temperature = 'cold' | 'warm';
export const TEMPERATURES: readonly Temperature[] = ['cold', 'warm'];
export const PIPELINE_NAMES: readonly PipelineName[] = ['ours', 'naive'];

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const medianOrNull = (values: readonly (number | null)[]): number | null => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : median(known);
};

const byAction = (pick: (action: ScanAction) => number): CallsByAction =>
  Object.fromEntries(SCAN_ACTIONS.map((action) => [action, pick(action)])) as Record<ScanAction, number>;

/**
 * The account's buckets with UpdateService at the rate ours ran with: what "the buckets allow" means.
 * The naive scanner does not pace UpdateService, so only the account's own buckets hold it.
 */
export function boundLimits(facts: PipelineFacts): Readonly<Record<string, BucketLimit>> {
  return facts.updatesPerSecond === null
    ? AWS_ECS_BUCKETS
    : { ...AWS_ECS_BUCKETS, UpdateService: ecsLimits(facts.updatesPerSecond).UpdateService as BucketLimit };
}

export interface RunSummary {
  readonly served: CallsByAction;
  readonly throttled: number;
  readonly refused: number;
  readonly throttledBy: CallsByAction;
  /** Every call made: served, throttled and refused. */
  readonly total: number;
  readonly toLastUpdateS: number | null;
  readonly toFirstUpdateS: number | null;
  readonly toLastReadS: number | null;
  readonly lastServedS: Readonly<Partial<Record<ScanAction, number>>>;
  readonly redeployedOnce: number;
  readonly duplicates: number;
  readonly missed: number;
  readonly unexpected: number;
  /** Services the run itself reported failed (the worst repeat). */
  readonly reportedFailed: number;
  /** What the run's own calls need at least, by its pipeline's buckets. */
  readonly ownBound: BucketBound;
  readonly rssPeakMb: number;
  readonly heapUsedPeakMb: number;
  readonly wallS: number;
  readonly errors: readonly string[];
}

function summarise(
  runs: readonly RunMeasurement[],
  limits: Readonly<Record<string, BucketLimit>>,
): RunSummary {
  const callMedian = (kind: 'answered' | 'throttled' | 'refused') =>
    byAction((action) => median(runs.map((run) => run.calls[action]?.[kind] ?? 0)));
  const served = callMedian('answered');
  const throttledBy = callMedian('throttled');
  const throttled = totalCalls(throttledBy);
  const refused = totalCalls(callMedian('refused'));
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return {
    served,
    throttled,
    refused,
    throttledBy,
    total: totalCalls(served) + throttled + refused,
    toLastUpdateS: seconds(medianOrNull(runs.map((run) => run.toLastUpdateMs))),
    toFirstUpdateS: seconds(medianOrNull(runs.map((run) => run.toFirstUpdateMs))),
    toLastReadS: seconds(medianOrNull(runs.map((run) => run.toLastReadMs))),
    lastServedS: Object.fromEntries(
      SCAN_ACTIONS.flatMap((action) => {
        const at = medianOrNull(runs.map((run) => run.toLastServedMs[action] ?? null));
        return at === null ? [] : [[action, at / 1000]];
      }),
    ),
    redeployedOnce: Math.min(...runs.map((run) => run.redeployedOnce)),
    duplicates: Math.max(...runs.map((run) => run.redeployedTwiceOrMore)),
    missed: Math.max(...runs.map((run) => run.missed)),
    unexpected: Math.max(...runs.map((run) => run.unexpected)),
    reportedFailed: Math.max(...runs.map((run) => run.reportedFailed)),
    ownBound: bucketBound(served, limits),
    rssPeakMb: Math.max(...runs.map((run) => run.rssPeakMb)),
    heapUsedPeakMb: Math.max(...runs.map((run) => run.heapUsedPeakMb)),
    wallS: median(runs.map((run) => run.wallMs)) / 1000,
    errors: [...new Set(runs.flatMap((run) => (run.error === null ? [] : [run.error])))],
  };
}

export interface LowerBound {
  readonly seconds: number;
  readonly buckets: BucketBound;
  readonly latencyFloor: number;
  readonly setBy: string;
}

function lowerBound(
  least: CallsByAction,
  limits: Readonly<Record<string, BucketLimit>>,
  latencyMs: number,
): LowerBound {
  const buckets = bucketBound(least, limits);
  const latencyFloor = latencyFloorSeconds(least, latencyMs);
  return buckets.seconds >= latencyFloor
    ? { seconds: buckets.seconds, buckets, latencyFloor, setBy: `${buckets.limitedBy} bucket` }
    : { seconds: latencyFloor, buckets, latencyFloor, setBy: 'latency of the call chain' };
}

export interface SizeSummary {
  readonly size: SizeResults;
  readonly latencyMs: number;
  /** How each pipeline was built, as it reported itself. */
  readonly facts: Readonly<Record<PipelineName, PipelineFacts>>;
  /** The buckets the lower bounds are computed with: the account's, UpdateService at ours' rate. */
  readonly limits: Readonly<Record<string, BucketLimit>>;
  readonly bound: Readonly<Record<Temperature, LowerBound>>;
  readonly runs: Readonly<Record<PipelineName, Readonly<Record<Temperature, RunSummary>>>>;
  readonly maxRssMb: Readonly<Record<PipelineName, number>>;
  readonly rssBeforeMb: Readonly<Record<PipelineName, number>>;
}

const perPipeline = <T>(pick: (pipeline: PipelineName) => T) =>
  Object.fromEntries(PIPELINE_NAMES.map((pipeline) => [pipeline, pick(pipeline)])) as Record<PipelineName, T>;

export function summariseSize(size: SizeResults, latencyMs: number): SizeSummary {
  const facts = perPipeline((pipeline) => {
    const first = size.measurements[pipeline][0];
    if (first === undefined)
      throw new RangeError(`no measurement of ${pipeline} at ${size.services} services`);
    return first.facts;
  });
  const limits = boundLimits(facts.ours);
  return {
    size,
    latencyMs,
    facts,
    limits,
    bound: {
      cold: lowerBound(size.least.cold, limits, latencyMs),
      warm: lowerBound(size.least.warm, limits, latencyMs),
    },
    runs: perPipeline((pipeline) => {
      const own = boundLimits(facts[pipeline]);
      return {
        cold: summarise(
          size.measurements[pipeline].map((m) => m.cold),
          own,
        ),
        warm: summarise(
          size.measurements[pipeline].map((m) => m.warm),
          own,
        ),
      };
    }),
    maxRssMb: perPipeline((pipeline) =>
      Math.max(...size.measurements[pipeline].map((m) => m.memory.maxRssMb)),
    ),
    rssBeforeMb: perPipeline((pipeline) =>
      median(size.measurements[pipeline].map((m) => m.memory.rssBeforeMb)),
    ),
  };
}

/**
 * Measurements → bench/RESULTS.md: one table per account size, then the issue's goals, each met or
 * missed with the numbers behind it. Pure: every number is computed here from the measurements.
 */
import { RETRY_CONFIG } from '../functions/aws/clients.ts';
import { DEFAULT_UPDATE_RATE, ecsLimits } from '../functions/aws/ecs-pacing.ts';
import type { BucketLimit } from '../functions/core/token-bucket.ts';
import { DEFAULT_SETTINGS } from '../functions/wiring/settings.ts';
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
import type { PipelineName } from './pipelines.ts';
import { AWS_ECS_BUCKETS } from './simulated-ecs.ts';

/** The account's buckets with UpdateService at the tool's configured rate: what "the buckets allow" means. */
export const BOUND_LIMITS: Readonly<Record<string, BucketLimit>> = {
  ...AWS_ECS_BUCKETS,
  UpdateService: ecsLimits(DEFAULT_UPDATE_RATE).UpdateService as BucketLimit,
};
/** The naive scanner does not pace UpdateService: only the account's own buckets hold it. */
const OWN_LIMITS: Readonly<Record<PipelineName, Readonly<Record<string, BucketLimit>>>> = {
  ours: BOUND_LIMITS,
  naive: AWS_ECS_BUCKETS,
};

export interface SizeResults {
  readonly services: number;
  readonly clusters: number;
  readonly taskDefinitions: number;
  readonly matches: number;
  readonly least: { readonly cold: CallsByAction; readonly warm: CallsByAction };
  readonly measurements: Readonly<Record<PipelineName, readonly Measurement[]>>;
}

export interface ResultsInput {
  readonly command: string;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly platform: string;
  };
  readonly latencyMs: number;
  readonly repeats: number;
  readonly sizes: readonly SizeResults[];
}

type Temperature = 'cold' | 'warm';
const TEMPERATURES: readonly Temperature[] = ['cold', 'warm'];
const PIPELINE_NAMES: readonly PipelineName[] = ['ours', 'naive'];

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface RunSummary {
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
  readonly ownBound: BucketBound;
  readonly rssPeakMb: number;
  readonly heapUsedPeakMb: number;
  readonly wallS: number;
  readonly errors: readonly string[];
}

const byAction = (pick: (action: ScanAction) => number): CallsByAction =>
  Object.fromEntries(SCAN_ACTIONS.map((action) => [action, pick(action)])) as Record<ScanAction, number>;

const medianOrNull = (values: readonly (number | null)[]): number | null => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : median(known);
};

/** Medians over the repeats; correctness counts take the worst repeat. */
function summarise(runs: readonly RunMeasurement[], pipeline: PipelineName): RunSummary {
  const callMedian = (kind: 'answered' | 'throttled' | 'refused') =>
    byAction((action) => median(runs.map((run) => run.calls[action]?.[kind] ?? 0)));
  const served = callMedian('answered');
  const throttledBy = callMedian('throttled');
  const refusedBy = callMedian('refused');
  const throttled = totalCalls(throttledBy);
  const refused = totalCalls(refusedBy);
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
    ownBound: bucketBound(served, OWN_LIMITS[pipeline]),
    rssPeakMb: Math.max(...runs.map((run) => run.rssPeakMb)),
    heapUsedPeakMb: Math.max(...runs.map((run) => run.heapUsedPeakMb)),
    wallS: median(runs.map((run) => run.wallMs)) / 1000,
    errors: [...new Set(runs.flatMap((run) => (run.error === null ? [] : [run.error])))],
  };
}

interface LowerBound {
  readonly seconds: number;
  readonly buckets: BucketBound;
  readonly latencyFloor: number;
  readonly setBy: string;
}

function lowerBound(least: CallsByAction, latencyMs: number): LowerBound {
  const buckets = bucketBound(least, BOUND_LIMITS);
  const latencyFloor = latencyFloorSeconds(least, latencyMs);
  return buckets.seconds >= latencyFloor
    ? { seconds: buckets.seconds, buckets, latencyFloor, setBy: `${buckets.limitedBy} bucket` }
    : { seconds: latencyFloor, buckets, latencyFloor, setBy: 'latency of the call chain' };
}

interface SizeSummary {
  readonly size: SizeResults;
  readonly bound: Readonly<Record<Temperature, LowerBound>>;
  readonly runs: Readonly<Record<PipelineName, Readonly<Record<Temperature, RunSummary>>>>;
  readonly maxRssMb: Readonly<Record<PipelineName, number>>;
  readonly rssBeforeMb: Readonly<Record<PipelineName, number>>;
}

function summariseSize(size: SizeResults, latencyMs: number): SizeSummary {
  const perPipeline = <T>(pick: (pipeline: PipelineName) => T) =>
    Object.fromEntries(PIPELINE_NAMES.map((pipeline) => [pipeline, pick(pipeline)])) as Record<
      PipelineName,
      T
    >;
  return {
    size,
    bound: { cold: lowerBound(size.least.cold, latencyMs), warm: lowerBound(size.least.warm, latencyMs) },
    runs: perPipeline((pipeline) => ({
      cold: summarise(
        size.measurements[pipeline].map((m) => m.cold),
        pipeline,
      ),
      warm: summarise(
        size.measurements[pipeline].map((m) => m.warm),
        pipeline,
      ),
    })),
    maxRssMb: perPipeline((pipeline) =>
      Math.max(...size.measurements[pipeline].map((m) => m.memory.maxRssMb)),
    ),
    rssBeforeMb: perPipeline((pipeline) =>
      median(size.measurements[pipeline].map((m) => m.memory.rssBeforeMb)),
    ),
  };
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const secondsText = (value: number | null) => (value === null ? '—' : value.toFixed(2));
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');
const mb = (value: number) => value.toFixed(0);
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function callsCell(run: RunSummary, action: ScanAction): string {
  const throttled = run.throttledBy[action];
  return throttled > 0
    ? `${integer(run.served[action])} (+${integer(throttled)} throttled)`
    : integer(run.served[action]);
}

const counted = (count: number, one: string, many: string) => `${integer(count)} ${count === 1 ? one : many}`;

function sizeTitle(size: SizeResults): string {
  return `${counted(size.services, 'service', 'services')} in ${counted(size.clusters, 'cluster', 'clusters')} (${counted(size.taskDefinitions, 'task definition', 'task definitions')}; ${counted(size.matches, 'service uses', 'services use')} the secret)`;
}

function sizeTable(summary: SizeSummary): string {
  const { size, bound, runs } = summary;
  const columns: { least: Temperature | null; pipeline: PipelineName | null; temperature: Temperature }[] = [
    { least: 'cold', pipeline: null, temperature: 'cold' },
    { least: 'warm', pipeline: null, temperature: 'warm' },
    ...PIPELINE_NAMES.flatMap((pipeline) =>
      TEMPERATURES.map((temperature) => ({ least: null, pipeline, temperature })),
    ),
  ];
  const header = ['', 'least, cold', 'least, warm', 'ours, cold', 'ours, warm', 'naive, cold', 'naive, warm'];
  const row = (
    label: string,
    leastCell: (t: Temperature) => string,
    runCell: (run: RunSummary, p: PipelineName, t: Temperature) => string,
  ) => [
    label,
    ...columns.map((c) =>
      c.pipeline === null
        ? leastCell(c.temperature)
        : runCell(runs[c.pipeline][c.temperature], c.pipeline, c.temperature),
    ),
  ];
  const rows: string[][] = [
    ...SCAN_ACTIONS.map((action) =>
      row(
        `${action} calls`,
        (t) => integer(size.least[t][action]),
        (run) => callsCell(run, action),
      ),
    ),
    row(
      '**all calls** (throttled and refused included)',
      (t) => `**${integer(totalCalls(size.least[t]))}**`,
      (run) => `**${integer(run.total)}**`,
    ),
    row(
      'all calls ÷ least',
      () => '1.00×',
      (run, _p, t) => ratio(run.total / totalCalls(size.least[t])),
    ),
    row(
      'services redeployed once / twice or more / missed / not matching',
      () => `${size.matches} / 0 / 0 / 0`,
      (run) => [run.redeployedOnce, run.duplicates, run.missed, run.unexpected].map(integer).join(' / '),
    ),
    row(
      'scan done (last read answered), s',
      () => '',
      (run) => secondsText(run.toLastReadS),
    ),
    row(
      'first UpdateService answered, s',
      () => '',
      (run) => secondsText(run.toFirstUpdateS),
    ),
    row(
      '**last UpdateService answered, s** (least: lower bound)',
      (t) => `**${secondsText(bound[t].seconds)}**`,
      (run) => `**${secondsText(run.toLastUpdateS)}**`,
    ),
    row(
      'last UpdateService ÷ lower bound',
      () => '1.00×',
      (run, _p, t) => (run.toLastUpdateS === null ? '—' : ratio(run.toLastUpdateS / bound[t].seconds)),
    ),
    row(
      'lower bound set by',
      (t) => bound[t].setBy,
      () => '',
    ),
    row(
      'bucket bound for the least calls, s',
      (t) => secondsText(bound[t].buckets.seconds),
      () => '',
    ),
    row(
      'latency floor (one call per step of the chain), s',
      (t) => secondsText(bound[t].latencyFloor),
      () => '',
    ),
    row(
      "bucket bound for the run's own calls, s",
      () => '',
      (run) => `${secondsText(run.ownBound.seconds)} (${run.ownBound.limitedBy})`,
    ),
    row(
      'peak RSS sampled during the run, MB',
      () => '',
      (run) => mb(run.rssPeakMb),
    ),
    row(
      'peak heapUsed sampled during the run, MB',
      () => '',
      (run) => mb(run.heapUsedPeakMb),
    ),
    row(
      'wall time (real), s',
      () => '',
      (run) => secondsText(run.wallS),
    ),
  ];
  const errors = PIPELINE_NAMES.flatMap((pipeline) =>
    TEMPERATURES.flatMap((t) =>
      runs[pipeline][t].errors.map((error) => `- ${pipeline}, ${t}: failed with \`${error}\``),
    ),
  );
  const memory = PIPELINE_NAMES.map(
    (pipeline) =>
      `${pipeline}: ${mb(summary.rssBeforeMb[pipeline])} MB before the first run, ${mb(summary.maxRssMb[pipeline])} MB at the process's peak (getrusage maxRSS, cold and warm runs together, largest of the repeats)`,
  ).join('; ');
  return [
    `### ${sizeTitle(size)}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `Process memory — ${memory}.`,
    ...(errors.length > 0 ? ['', ...errors] : []),
  ].join('\n');
}

interface GoalVerdict {
  readonly goal: string;
  readonly met: boolean;
  readonly detail: string;
}

function callsGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const cases = summaries.flatMap((summary) =>
    TEMPERATURES.map((t) => {
      const run = summary.runs.ours[t];
      const least = totalCalls(summary.size.least[t]);
      return { label: `${integer(summary.size.services)} ${t}`, run, least, over: run.total / least - 1 };
    }),
  );
  const worst = cases.reduce((a, b) => (b.over > a.over ? b : a));
  const met = cases.every((c) => c.over <= 0.05);
  const list = cases
    .map(
      (c) =>
        `${c.label}: ${integer(c.run.total)} of ${integer(c.least)} (${c.over >= 0 ? '+' : ''}${percent(c.over)})`,
    )
    .join('; ');
  return {
    goal: 'API calls within 5% of the least a scan of the account can make',
    met,
    detail: met
      ? `Every size, cold and warm, throttled calls included — ${list}.`
      : `${list}. The worst is ${worst.label}, ${percent(worst.over)} over: see its row of calls by action above for where they go.`,
  };
}

function boundGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const largest = summaries.reduce((a, b) => (b.size.services > a.size.services ? b : a));
  const run = largest.runs.ours.cold;
  const bound = largest.bound.cold;
  const goal = `${integer(largest.size.services)} services cold within 10% of what the buckets allow`;
  if (run.toLastUpdateS === null)
    return {
      goal,
      met: false,
      detail: `No UpdateService was answered: ${run.errors.join('; ') || 'no error reported'}.`,
    };
  const over = run.toLastUpdateS / bound.seconds - 1;
  const facts = `the last UpdateService is answered after ${secondsText(run.toLastUpdateS)} s; the buckets allow ${secondsText(bound.seconds)} s (${bound.setBy}), ${percent(over)} more`;
  if (over <= 0.1) return { goal, met: true, detail: `Met: ${facts}.` };
  const updates = largest.size.least.cold.UpdateService;
  const updateSpan = run.toFirstUpdateS === null ? null : run.toLastUpdateS - run.toFirstUpdateS;
  const reads = bucketBound({ ...largest.size.least.cold, UpdateService: 0 }, BOUND_LIMITS);
  const why: string[] = [];
  if (run.toFirstUpdateS !== null && run.toLastReadS !== null && run.toFirstUpdateS >= run.toLastReadS) {
    why.push(
      `redeploys start only once the scan is over: the first UpdateService is answered at ${secondsText(run.toFirstUpdateS)} s, after the last read (${secondsText(run.toLastReadS)} s), and the ${integer(updates)} UpdateService calls at ${DEFAULT_UPDATE_RATE}/s then take ${secondsText(updateSpan)} s more. Overlapped with the scan (a queue between planning and acting), they would fit inside it: their own bound is ${secondsText(bound.buckets.byAction.UpdateService)} s`,
    );
  }
  if (run.toLastReadS !== null && run.toLastReadS > reads.seconds * 1.1) {
    const lastTaskDefinition = run.lastServedS.DescribeTaskDefinition ?? null;
    const tail = lastTaskDefinition === null ? null : run.toLastReadS - lastTaskDefinition;
    why.push(
      `the scan itself takes ${secondsText(run.toLastReadS)} s where its reads' buckets allow ${secondsText(reads.seconds)} s (${reads.limitedBy}). Clusters are walked one at a time, and the next is listed and described only as the ${DEFAULT_SETTINGS.concurrency} task-definition slots free up: the first clusters bring most of the new task definitions, so DescribeTaskDefinition runs at its ${BOUND_LIMITS.DescribeTaskDefinition?.perSecond}/s while DescribeServices' bucket sits full and unused; the last DescribeTaskDefinition is answered at ${secondsText(lastTaskDefinition)} s, and the clusters left, whose task definitions are already known, then take ${secondsText(tail)} s more of DescribeServices at ${BOUND_LIMITS.DescribeServices?.perSecond}/s. Reading the inventory ahead of the task definitions would overlap the two`,
    );
  }
  return {
    goal,
    met: false,
    detail: `Missed by ${percent(over - 0.1)} beyond the 10% allowed: ${facts}. Why: ${why.join('; and ') || 'see the table'}.`,
  };
}

function warmGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const cases = summaries.map((summary) => {
    const cold = summary.runs.ours.cold.toLastUpdateS;
    const warm = summary.runs.ours.warm.toLastUpdateS;
    return { summary, cold, warm, speedup: cold === null || warm === null ? Number.NaN : cold / warm };
  });
  const met = cases.every((c) => c.speedup >= 5);
  const lines = cases.map(({ summary, cold, warm, speedup }) => {
    const head = `${integer(summary.size.services)} services: cold ${secondsText(cold)} s, warm ${secondsText(warm)} s, ${ratio(speedup)} faster`;
    if (speedup >= 5 || cold === null || warm === null) return `${head}.`;
    const least = summary.size.least.warm;
    const bound = summary.bound;
    const possible = bound.cold.seconds / bound.warm.seconds;
    const reasons: string[] = [];
    if (possible < 5) {
      reasons.push(
        `even at the lower bounds (cold ${secondsText(bound.cold.seconds)} s, warm ${secondsText(bound.warm.seconds)} s, ${bound.warm.setBy}) warm would be only ${ratio(possible)} faster: a warm run skips only DescribeTaskDefinition and still makes ${integer(least.ListServices)} ListServices, ${integer(least.DescribeServices)} DescribeServices (${secondsText(bound.warm.buckets.byAction.DescribeServices)} s at ${BOUND_LIMITS.DescribeServices?.perSecond}/s beyond a burst of ${BOUND_LIMITS.DescribeServices?.burst}) and ${integer(least.UpdateService)} UpdateService (${secondsText(bound.warm.buckets.byAction.UpdateService)} s at ${DEFAULT_UPDATE_RATE}/s beyond a burst of ${BOUND_LIMITS.UpdateService?.burst}), and each chain of calls takes a round trip per step`,
      );
    }
    if (warm > bound.warm.seconds * 1.1) {
      const run = summary.runs.ours.warm;
      const walk = (summary.size.clusters * 2 * latencyOf(summary)) / 1000;
      const late =
        run.toFirstUpdateS !== null && run.toLastReadS !== null && run.toFirstUpdateS >= run.toLastReadS
          ? `redeploys start only after the scan (first UpdateService at ${secondsText(run.toFirstUpdateS)} s), and `
          : '';
      reasons.push(
        `ours' warm run is ${ratio(warm / bound.warm.seconds)} its lower bound: ${late}the ${integer(summary.size.clusters)} clusters are walked one after another (ListServices then DescribeServices: ${secondsText(walk)} s of round trips alone)`,
      );
    }
    return `${head}; ${reasons.join('; ')}.`;
  });
  return { goal: 'warm runs at least 5× faster than cold ones', met, detail: lines.join(' ') };
}

const latencyOf = (summary: SizeSummary) => summary.size.measurements.ours[0]?.spec.latencyMs ?? 0;

function memoryGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const peaks = summaries.map((summary) => ({
    services: summary.size.services,
    peak: summary.maxRssMb.ours,
    before: summary.rssBeforeMb.ours,
  }));
  const worst = peaks.reduce((a, b) => (b.peak > a.peak ? b : a));
  const heap = Math.max(...summaries.flatMap((s) => TEMPERATURES.map((t) => s.runs.ours[t].heapUsedPeakMb)));
  const met = worst.peak < 256;
  return {
    goal: 'under 256 MB',
    met,
    detail: `The largest peak RSS of a whole benchmark process running ours is ${mb(worst.peak)} MB (${integer(worst.services)} services), with ${mb(worst.before)} MB already resident before the first run; peak heapUsed ${mb(heap)} MB. That process also holds the simulated ECS API, the synthetic account and the tsx loader, so the function alone needs less: ${met ? 'met with room to spare' : 'missed'}.`,
  };
}

export function renderResults(input: ResultsInput): string {
  const summaries = input.sizes.map((size) => summariseSize(size, input.latencyMs));
  const goals = [callsGoal(summaries), boundGoal(summaries), warmGoal(summaries), memoryGoal(summaries)];
  const limits = SCAN_ACTIONS.map((action) => {
    const limit = BOUND_LIMITS[action] as BucketLimit;
    const aws = AWS_ECS_BUCKETS[action] as BucketLimit;
    return `${action} ${limit.burst} burst, ${limit.perSecond}/s${action === 'UpdateService' ? ` (the tool's configured rate; the account's bucket is ${aws.burst} burst, ${aws.perSecond}/s)` : ''}`;
  }).join('; ');
  return [
    '# Benchmark results',
    '',
    `Produced by \`${input.command}\` — do not edit by hand; rerun it.`,
    '',
    `Machine: Node ${input.machine.node}, ${input.machine.cpus} CPUs (${input.machine.cpuModel}), ${input.machine.platform}.`,
    `Each measurement ran ${input.repeats} times, each time in a fresh process; times and calls are medians, correctness counts and memory the worst run.`,
    '',
    '## What is measured',
    '',
    `- **The account**: N services spread evenly over C clusters, 20% as many distinct task definitions as services, 1% of services referencing the rotated secret (\`secrets[].valueFrom\`, whole secret or one JSON key); the others reference other secrets and parameters, some a secret whose name starts like the rotated one. The rotation is \`events/secretsmanager-label-updated.json\`.`,
    `- **The simulated ECS API** (\`bench/simulated-ecs.ts\`) is the SDK client's request handler, so the real client stack runs: serialisation, retries, our pacing middleware. It enforces AWS's documented buckets per action and refuses a call with \`ThrottlingException\` (HTTP 400) when its bucket is empty; ListServices pages 10 by default, at most 100; ListClusters 100; DescribeServices takes at most 10 services. Every call, throttled ones too, is answered after ${input.latencyMs} ms.`,
    "- **Virtual time**: everything runs under `@sinonjs/fake-timers` (timers, `Date`, `performance`, `hrtime`), so latency, the SDK's retry backoff and adaptive rate limiter (`Date.now` and `setTimeout`) and our token buckets' sleeps advance a virtual clock at once. Timer delays round up as Node's do (fake-timers truncates them). The times below are virtual, except wall time.",
    `- **Ours**: \`redeployForChange\` with the production adapters (ClusterInventory, EcsTaskDefinitions with its in-memory cache, EcsRedeployer, direct delivery), an ECSClient with \`RETRY_CONFIG\` (${RETRY_CONFIG.retryMode}, ${RETRY_CONFIG.maxAttempts} attempts) and \`paceEcsClient(client, ecsLimits(${DEFAULT_UPDATE_RATE}))\`, concurrency ${DEFAULT_SETTINGS.concurrency}. **Naive**: ListClusters, ListServices with default paging, DescribeServices one service at a time, DescribeTaskDefinition for every service, UpdateService at once for each match, one service after another; same client settings without our pacing, standard retries (${RETRY_CONFIG.maxAttempts} attempts).`,
    '- **Cold** is the first run in a fresh process; **warm** the second run on the same pipeline (same clients, same EcsTaskDefinitions and its memory cache), after 60 virtual seconds of idling so that every bucket is full again.',
    '- **Least calls**: ListClusters ceil(C/100); ListServices ceil(n_c/100) per cluster, at least 1; DescribeServices ceil(n_c/10) per cluster; DescribeTaskDefinition one per distinct task definition cold, none warm; UpdateService one per matching service.',
    `- **Lower bound on time**: a bucket starts full, so \`calls\` of one action need at least max(0, calls − burst) / refill seconds; the buckets refill in parallel, so the bound is the largest of these over the actions (for the least calls, with ${limits}). Each call also waits for the one before it (ListClusters → ListServices → DescribeServices → DescribeTaskDefinition → UpdateService), so no run can beat one latency per step either; the lower bound is the larger of the two. Neither bound is tight: they are floors no scanner can go under.`,
    "- **Memory**: each measurement runs in its own process; `process.memoryUsage()` is sampled every 16 virtual timers and at the end of each run, and getrusage's maxRSS gives the process's peak. Those processes also hold the simulator, the account and the tsx loader: the numbers are an upper bound on what the function itself needs.",
    '',
    '## Results',
    '',
    ...summaries.flatMap((summary) => [sizeTable(summary), '']),
    '## Goals',
    '',
    ...goals.map((verdict) => `- **${verdict.goal}: ${verdict.met ? 'met' : 'missed'}.** ${verdict.detail}`),
    '',
  ].join('\n');
}

/**
 * Measurements → bench/RESULTS.md: what is measured, one table per account size, then the goals, each met
 * or missed with the numbers behind it. Pure. Every number in the text comes from the measurements, the
 * pipelines' own account of how they were built, or the one constant that sets it.
 */
import { describeLeastCalls, SCAN_ACTIONS } from './bounds.ts';
import { IDLE_BETWEEN_RUNS_MS, ROTATION_EVENT, SAMPLE_EVERY_STEPS } from './measurement.ts';
import type { PipelineFacts } from './pipelines.ts';
import { listed } from './results-format.ts';
import { goalVerdicts } from './results-goals.ts';
import { type SizeResults, type SizeSummary, summariseSize } from './results-summary.ts';
import { sizeTable } from './results-tables.ts';
import { AWS_ECS_BUCKETS, describeSimulatedApi } from './simulated-ecs.ts';
import { describeAccountShape } from './synthetic-account.ts';

export type { SizeResults } from './results-summary.ts';

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

function retries(facts: PipelineFacts): string {
  const updates =
    facts.updateAttempts === facts.maxAttempts
      ? ''
      : `, UpdateService ${facts.updateAttempts} (the redeployer retries it itself)`;
  return `${facts.retryMode} retries, ${facts.maxAttempts} attempts a call${updates}`;
}

function pipelinesText(summary: SizeSummary): string {
  const { ours, naive } = summary.facts;
  const pacing = (facts: PipelineFacts) =>
    facts.paced
      ? `every ECS call paced by our client-side buckets${facts.updatesPerSecond === null ? '' : `, UpdateService at ${facts.updatesPerSecond}/s`}`
      : 'no client-side pacing';
  return `**Ours**: ${ours.runs} with the adapters the change functions pick for direct delivery without a state table (${listed(ours.adapters)}), its ECS clients made by \`createAwsClients\`: ${retries(ours)}, ${pacing(ours)}, concurrency ${ours.concurrency}. **Naive**: ${naive.runs}, ${naive.concurrency === 1 ? 'one service after another' : `${naive.concurrency} services at a time`}; ${retries(naive)}, ${pacing(naive)}.`;
}

function boundText(summary: SizeSummary): string {
  const limits = SCAN_ACTIONS.map((action) => {
    const limit = summary.limits[action];
    const aws = AWS_ECS_BUCKETS[action];
    if (limit === undefined || aws === undefined) throw new RangeError(`no bucket for ${action}`);
    const own =
      limit.burst === aws.burst && limit.perSecond === aws.perSecond
        ? ''
        : ` (the tool's configured rate; the account's bucket is ${aws.burst} burst, ${aws.perSecond}/s)`;
    return `${action} ${limit.burst} burst, ${limit.perSecond}/s${own}`;
  }).join('; ');
  return `**Lower bound on time**: a bucket starts full, so \`calls\` of one action need at least max(0, calls − burst) / refill seconds; the buckets refill in parallel, so the bound is the largest of these over the actions (for the least calls, with ${limits}). Each call also waits for the one before it (${SCAN_ACTIONS.join(' → ')}), so no run can beat one latency per step either; the lower bound is the larger of the two. Neither bound is tight: they are floors no scanner can go under.`;
}

function measuredText(input: ResultsInput, summary: SizeSummary): string[] {
  return [
    `- **The account**: ${describeAccountShape()} The rotation is \`${ROTATION_EVENT}\`.`,
    `- **The simulated ECS API** (\`bench/simulated-ecs.ts\`) is the SDK client's request handler, so the real client stack runs: serialisation, retries, our pacing middleware. ${describeSimulatedApi()} Every call, throttled ones too, is answered after ${input.latencyMs} ms.`,
    "- **Virtual time**: everything runs under `@sinonjs/fake-timers` (timers, `Date`, `performance`, `hrtime`), so latency, the SDK's retry backoff and adaptive rate limiter (`Date.now` and `setTimeout`) and our token buckets' sleeps advance a virtual clock at once. Timer delays round up as Node's do (fake-timers truncates them). The times below are virtual, except wall time.",
    `- ${pipelinesText(summary)}`,
    `- **Cold** is the first run in a fresh process; **warm** the second run on the same pipeline (same clients, same adapters and what they keep in memory), after ${IDLE_BETWEEN_RUNS_MS / 1000} virtual seconds of idling so that every bucket is full again.`,
    `- **Least calls**: ${describeLeastCalls()}.`,
    `- ${boundText(summary)}`,
    `- **Memory**: each measurement runs in its own process; \`process.memoryUsage()\` is sampled every ${SAMPLE_EVERY_STEPS} virtual timers and at the end of each run, and getrusage's maxRSS gives the process's peak. Those processes also hold the simulator, the account and the tsx loader: the numbers are an upper bound on what the function itself needs.`,
  ];
}

export function renderResults(input: ResultsInput): string {
  const summaries = input.sizes.map((size) => summariseSize(size, input.latencyMs));
  const first = summaries[0];
  if (first === undefined) throw new RangeError('no account size was measured');
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
    ...measuredText(input, first),
    '',
    '## Results',
    '',
    ...summaries.flatMap((summary) => [sizeTable(summary), '']),
    '## Goals',
    '',
    ...goalVerdicts(summaries).map(
      (verdict) => `- **${verdict.goal}: ${verdict.met ? 'met' : 'missed'}.** ${verdict.detail}`,
    ),
    '',
  ].join('\n');
}

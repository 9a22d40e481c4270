/**
 * Audit measurements → the audit section of bench/RESULTS.md: what ran, its calls by action against the least
 * any audit can make, its time against what the buckets allow, and the goal met or missed. Pure: every number
 * comes from the measurements or the constant that sets it.
 */

import {
  AUDIT_ACTIONS,
  type AuditCalls,
  type AuditMeasurement,
  describeLeastAuditCalls,
  totalAuditCalls,
} from './audit.ts';
import { describeAuditAccount } from './audit-account.ts';
import { AWS_ECS_BUCKETS } from './simulated-ecs.ts';
import { PARAMETER_FILTER_MAX, VERSIONS_PAGE_MAX } from './simulated-metadata.ts';

/** The goal: the audit's calls within this share above the least. */
export const AUDIT_CALLS_GOAL = 0.1;

const count = (value: number) => value.toLocaleString('en-US');
const seconds = (ms: number) => (ms / 1000).toFixed(2);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Every call the simulation answered or refused, throttled ones included, by action. */
function callsOf(measurement: AuditMeasurement): AuditCalls & { readonly throttled: number } {
  const entries = AUDIT_ACTIONS.map((action) => {
    const calls = measurement.calls[action];
    return [action, (calls?.answered ?? 0) + (calls?.throttled ?? 0) + (calls?.refused ?? 0)] as const;
  });
  const throttled = Object.values(measurement.calls).reduce((sum, calls) => sum + calls.throttled, 0);
  return { ...(Object.fromEntries(entries) as Record<(typeof AUDIT_ACTIONS)[number], number>), throttled };
}

/**
 * The least time the buckets allow the least calls, were every call free to go as soon as its bucket allows:
 * max over the actions of max(0, calls − burst) / refill, UpdateService at the tool's own rate.
 */
function bucketBound(least: AuditCalls, updatesPerSecond: number): { ms: number; action: string } {
  let worst = { ms: 0, action: 'none' };
  for (const action of [
    'ListClusters',
    'ListServices',
    'DescribeServices',
    'DescribeTaskDefinition',
  ] as const) {
    const bucket = AWS_ECS_BUCKETS[action];
    if (bucket === undefined) continue;
    const ms = (Math.max(0, least[action] - bucket.burst) / bucket.perSecond) * 1000;
    if (ms > worst.ms) worst = { ms, action: `${action} bucket` };
  }
  const burst = Math.max(1, Math.floor(updatesPerSecond));
  const updates = (Math.max(0, least.UpdateService - burst) / updatesPerSecond) * 1000;
  return updates > worst.ms ? { ms: updates, action: `UpdateService at ${updatesPerSecond}/s` } : worst;
}

export interface AuditResults {
  readonly latencyMs: number;
  /** UpdateService calls per second the audit paces to. */
  readonly updatesPerSecond: number;
  readonly measurements: readonly AuditMeasurement[];
}

/** The markdown section; empty when nothing was measured. */
export function renderAudit(results: AuditResults): string {
  const { measurements } = results;
  const first = measurements[0];
  if (first === undefined) return '';
  const { spec, least } = first;
  const runs = measurements.map(callsOf);
  const ours = Object.fromEntries(
    AUDIT_ACTIONS.map((action) => [action, median(runs.map((run) => run[action]))]),
  ) as Record<(typeof AUDIT_ACTIONS)[number], number>;
  const oursTotal = median(runs.map((run) => totalAuditCalls(run)));
  const leastTotal = totalAuditCalls(least);
  const ratio = oursTotal / leastTotal;
  const throttled = Math.max(...runs.map((run) => run.throttled));
  const toLastUpdate = median(measurements.map((m) => m.toLastUpdateMs ?? m.toEndMs));
  const bound = bucketBound(least, results.updatesPerSecond);
  const worst = (field: 'redeployedTwiceOrMore' | 'missed' | 'unexpected') =>
    Math.max(...measurements.map((m) => m[field]));
  const failed = Math.max(...measurements.map((m) => m.reported.failed + (m.error === null ? 0 : 1)));
  const rows = AUDIT_ACTIONS.map(
    (action) =>
      `| ${action} calls | ${count(least[action])} | ${count(ours[action])} | ${(ours[action] / Math.max(1, least[action])).toFixed(2)}× |`,
  );
  const met = ratio <= 1 + AUDIT_CALLS_GOAL;
  return [
    `## Audit: ${count(spec.services)} services, ${count(spec.items)} distinct referenced items`,
    '',
    `- **The account**: ${describeAuditAccount(spec)}`,
    `- **What runs**: \`rotation-redeploy audit --fix\` as the CLI runs it: \`audit\` with the ports \`auditAdapters\` picks (the cluster inventory, task definitions read once each, the metadata reader, UpdateService straight away), on the clients \`createAwsClients\` makes; ECS reads paced to the account's buckets, UpdateService at ${results.updatesPerSecond}/s, metadata reads unpaced, 8 in flight.`,
    `- **The simulated metadata** (\`bench/simulated-metadata.ts\`): ListSecretVersionIds (at most ${VERSIONS_PAGE_MAX} versions a page) and DescribeParameters (one Name filter of at most ${PARAMETER_FILTER_MAX} values, at most ${PARAMETER_FILTER_MAX} a page), answered after ${results.latencyMs} ms like the simulated ECS API; their throttling is not simulated.`,
    `- **Least calls**: ${describeLeastAuditCalls()}.`,
    `- ${measurements.length} runs, each in a fresh process; calls and times are medians, correctness counts the worst run.`,
    '',
    `### ${count(spec.services)} services in ${spec.clusters} clusters (${count(first.taskDefinitions)} task definitions; ${count(first.staleServices)} services stale)`,
    '',
    '|  | least | ours | ours ÷ least |',
    '|---|---:|---:|---:|',
    ...rows,
    `| **all calls** (throttled and refused included) | **${count(leastTotal)}** | **${count(oursTotal)}** | **${ratio.toFixed(2)}×** |`,
    `| calls throttled (worst run) |  | ${count(throttled)} |  |`,
    `| stale services redeployed once / twice or more / missed / not stale |  | ${count(Math.min(...measurements.map((m) => m.redeployedOnce)))} / ${worst('redeployedTwiceOrMore')} / ${worst('missed')} / ${worst('unexpected')} |  |`,
    `| services the audit reported failed |  | ${failed} |  |`,
    `| **last UpdateService answered, s** (least: the buckets' bound) | **${seconds(bound.ms)}** (${bound.action}) | **${seconds(toLastUpdate)}** | **${(toLastUpdate / Math.max(1, bound.ms)).toFixed(2)}×** |`,
    `| wall time (real), s |  | ${seconds(median(measurements.map((m) => m.wallMs)))} |  |`,
    `| peak RSS of the process (getrusage), MB |  | ${Math.round(Math.max(...measurements.map((m) => m.maxRssMb)))} |  |`,
    '',
    `The audit reads everything before it judges, then redeploys: its time is the scan's (the ${count(least.DescribeTaskDefinition)} task definitions through their bucket) plus the stale services' UpdateService at ${results.updatesPerSecond}/s, where the bound lets the two overlap.`,
    '',
    '### Goal',
    '',
    `- **Audit calls within ${AUDIT_CALLS_GOAL * 100}% of the least: ${met ? 'met' : 'missed'}.** ${count(oursTotal)} of ${count(leastTotal)} (${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%), throttled calls included.`,
    '',
  ].join('\n');
}

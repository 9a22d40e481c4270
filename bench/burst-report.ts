/**
 * Burst measurements → the "Bursts" section of bench/RESULTS.md: one table per account size, the yardstick
 * (one scan's least calls plus one metadata read per change), and the goal, met or missed. Pure.
 */
import { leastCalls, SCAN_ACTIONS, totalCalls } from './bounds.ts';
import { BURST, type BurstMeasurement, type BurstPipeline, burstAccount } from './burst.ts';
import { integer, percent, ratio, secondsText } from './results-format.ts';

/** Ours with the buffer may make at most this much more than one scan's least calls plus a read per change. */
export const BURST_GOAL_OVER = 0.1;

const TITLES: Readonly<Record<BurstPipeline, string>> = {
  buffered: 'ours, buffered',
  'per-change': 'ours, a scan per change',
  naive: 'naive, a scan per change',
};

export interface BurstSize {
  readonly services: number;
  readonly clusters: number;
  /** By pipeline; a pipeline not run at this size is absent, with why in `notRun`. */
  readonly measurements: Partial<Record<BurstPipeline, BurstMeasurement>>;
  readonly notRun: Partial<Record<BurstPipeline, string>>;
}

/** One scan's least calls for the account (cold), UpdateService once per changed service, and a read a change. */
export function burstYardstick(services: number, clusters: number, changedServices: number, changes: number) {
  const least = { ...leastCalls(burstAccount(services, clusters), false), UpdateService: changedServices };
  return { least, metadataReads: changes, total: totalCalls(least) + changes };
}

const allCalls = (m: BurstMeasurement) =>
  Object.values(m.calls).reduce((sum, count) => sum + count.answered + count.throttled + count.refused, 0) +
  m.metadataReads;

function callsCell(m: BurstMeasurement | undefined, action: string): string {
  if (m === undefined) return '';
  const count = m.calls[action];
  if (count === undefined) return '0';
  const extra = count.throttled + count.refused;
  return extra === 0
    ? integer(count.answered)
    : `${integer(count.answered)} (+${integer(extra)} throttled or refused)`;
}

function sizeSection(size: BurstSize): string[] {
  const pipelines = (['buffered', 'per-change', 'naive'] as const).filter(
    (p) => size.measurements[p] !== undefined,
  );
  const any = size.measurements.buffered ?? Object.values(size.measurements)[0];
  if (any === undefined) return [];
  const yardstick = burstYardstick(size.services, size.clusters, any.changedServices, any.changes);
  const head = `|  | one scan's least + a read per change | ${pipelines.map((p) => TITLES[p]).join(' | ')} |`;
  const rule = `|---|---:|${pipelines.map(() => '---:').join('|')}|`;
  const row = (title: string, least: string, cell: (m: BurstMeasurement) => string) =>
    `| ${title} | ${least} | ${pipelines.map((p) => cell(size.measurements[p] as BurstMeasurement)).join(' | ')} |`;
  const lines = [
    `### ${integer(size.services)} services in ${integer(size.clusters)} clusters: ${any.changes} changes, ${integer(any.changedServices)} services read a changed item`,
    '',
    head,
    rule,
    ...SCAN_ACTIONS.map((action) =>
      row(`${action} calls`, integer(yardstick.least[action]), (m) => callsCell(m, action)),
    ),
    row('metadata reads (DescribeSecret, DescribeParameters)', integer(yardstick.metadataReads), (m) =>
      integer(m.metadataReads),
    ),
    row('**all calls**', `**${integer(yardstick.total)}**`, (m) => `**${integer(allCalls(m))}**`),
    row('all calls ÷ yardstick', '1.00×', (m) => ratio(allCalls(m) / yardstick.total)),
    row(
      'services redeployed once / twice or more / missed / not changed',
      '',
      (m) => `${m.redeployedOnce} / ${m.redeployedTwiceOrMore} / ${m.missed} / ${m.unexpected}`,
    ),
    row('services the runs reported failed', '', (m) => integer(m.reportedFailed)),
    row(
      '**last UpdateService answered**, s after the first event',
      '',
      (m) => `**${secondsText(m.toLastUpdateMs === null ? null : m.toLastUpdateMs / 1000)}**`,
    ),
    row('wall time (real), s', '', (m) => secondsText(m.wallMs / 1000)),
  ];
  for (const [pipeline, why] of Object.entries(size.notRun))
    lines.push('', `${TITLES[pipeline as BurstPipeline]}: not run. ${why}`);
  return lines;
}

/** Whether ours, buffered, stayed within the goal at every size, with the numbers. */
export function burstGoal(sizes: readonly BurstSize[]): { met: boolean; detail: string } {
  const cases = sizes.flatMap((size) => {
    const m = size.measurements.buffered;
    if (m === undefined) return [];
    const { total } = burstYardstick(size.services, size.clusters, m.changedServices, m.changes);
    const over = allCalls(m) / total - 1;
    return [
      {
        size,
        m,
        total,
        over,
        met: over <= BURST_GOAL_OVER && m.missed === 0 && m.redeployedTwiceOrMore === 0,
      },
    ];
  });
  const met = cases.length > 0 && cases.every((c) => c.met);
  const detail = cases
    .map(
      ({ size, m, total, over }) =>
        `${integer(size.services)} services: ${integer(allCalls(m))} calls against ${integer(total)} (${over <= 0 ? 'none' : percent(over)} more), every changed service redeployed once: ${m.redeployedTwiceOrMore === 0 && m.missed === 0 ? 'yes' : 'no'}`,
    )
    .join('; ');
  return { met, detail: `${detail}.` };
}

export function renderBursts(sizes: readonly BurstSize[], latencyMs: number): string {
  if (sizes.length === 0) return '';
  const goal = burstGoal(sizes);
  return [
    '## Bursts of changes',
    '',
    `- **The burst**: ${BURST.changes} changes arriving evenly within ${BURST.spreadMs / 1000} s, to the secrets (and, for ${BURST.familiesWithBoth} of them, the parameters too) of the first task definitions that are not the rotated one's: a service whose task definition lost both its secret and its parameter reads two changed items.`,
    `- **Ours, buffered** is the stack's path: each change's metadata read as it arrives (the change function's one DescribeSecret or DescribeParameters, answered after ${latencyMs} ms), the changes gathered for the ${BURST.batchingWindowMs / 1000} s batching window (batches of up to ${BURST.batchSize}), then \`redeployForChanges\` once for the batch (the change scanner). **A scan per change** is \`redeployForChange\` per event, ${BURST.runsAtOnce} at once (the change functions' reserved concurrency), sharing one task definition cache. **Naive** is the naive scanner per event, ${BURST.runsAtOnce} at once. All redeploy with UpdateService directly, on the simulated ECS API and the virtual clock described above; the ECS clients pace to the whole of each bucket. (In the stack without the buffer, the redeploy queue's coalescing window would fold a service's second redeploy into its first deployment, but not the scans.)`,
    `- **Yardstick**: one scan's least calls (cold, as above), UpdateService once per changed service, plus one metadata read per change. Goal: ours, buffered, within ${percent(BURST_GOAL_OVER)} of it, every changed service redeployed exactly once.`,
    `- **Goal ${goal.met ? 'met' : 'missed'}**: ${goal.detail}`,
    '',
    ...sizes.flatMap((size) => [...sizeSection(size), '']),
  ].join('\n');
}

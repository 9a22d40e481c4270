/** One table per account size: calls by action, correctness, times and memory, least and lower bound beside. */
import { SCAN_ACTIONS, type ScanAction, totalCalls } from './bounds.ts';
import type { PipelineName } from './pipelines.ts';
import { counted, integer, mb, ratio, secondsText } from './results-format.ts';
import {
  PIPELINE_NAMES,
  type RunSummary,
  type SizeResults,
  type SizeSummary,
  TEMPERATURES,
  type Temperature,
} from './results-summary.ts';

function callsCell(run: RunSummary, action: ScanAction): string {
  const throttled = run.throttledBy[action];
  return throttled > 0
    ? `${integer(run.served[action])} (+${integer(throttled)} throttled)`
    : integer(run.served[action]);
}

function sizeTitle(size: SizeResults): string {
  return `${counted(size.services, 'service', 'services')} in ${counted(size.clusters, 'cluster', 'clusters')} (${counted(size.taskDefinitions, 'task definition', 'task definitions')}; ${counted(size.matches, 'service uses', 'services use')} the secret)`;
}

type Row = readonly [
  label: string,
  leastCell: (t: Temperature) => string,
  runCell: (run: RunSummary, t: Temperature) => string,
];

function rows(summary: SizeSummary): Row[] {
  const { size, bound } = summary;
  const none = () => '';
  return [
    ...SCAN_ACTIONS.map(
      (action): Row => [
        `${action} calls`,
        (t) => integer(size.least[t][action]),
        (run) => callsCell(run, action),
      ],
    ),
    [
      '**all calls** (throttled and refused included)',
      (t) => `**${integer(totalCalls(size.least[t]))}**`,
      (run) => `**${integer(run.total)}**`,
    ],
    ['all calls ÷ least', () => ratio(1), (run, t) => ratio(run.total / totalCalls(size.least[t]))],
    [
      'services redeployed once / twice or more / missed / not matching',
      () => [size.matches, 0, 0, 0].map(integer).join(' / '),
      (run) => [run.redeployedOnce, run.duplicates, run.missed, run.unexpected].map(integer).join(' / '),
    ],
    ['services the run reported failed', none, (run) => integer(run.reportedFailed)],
    ['scan done (last read answered), s', none, (run) => secondsText(run.toLastReadS)],
    ['first UpdateService answered, s', none, (run) => secondsText(run.toFirstUpdateS)],
    [
      '**last UpdateService answered, s** (least: lower bound)',
      (t) => `**${secondsText(bound[t].seconds)}**`,
      (run) => `**${secondsText(run.toLastUpdateS)}**`,
    ],
    [
      'last UpdateService ÷ lower bound',
      () => ratio(1),
      (run, t) => (run.toLastUpdateS === null ? '—' : ratio(run.toLastUpdateS / bound[t].seconds)),
    ],
    ['lower bound set by', (t) => bound[t].setBy, none],
    ['bucket bound for the least calls, s', (t) => secondsText(bound[t].buckets.seconds), none],
    ['latency floor (one call per step of the chain), s', (t) => secondsText(bound[t].latencyFloor), none],
    [
      "bucket bound for the run's own calls, s",
      none,
      (run) => `${secondsText(run.ownBound.seconds)} (${run.ownBound.limitedBy})`,
    ],
    ['peak RSS sampled during the run, MB', none, (run) => mb(run.rssPeakMb)],
    ['peak heapUsed sampled during the run, MB', none, (run) => mb(run.heapUsedPeakMb)],
    ['wall time (real), s', none, (run) => secondsText(run.wallS)],
  ];
}

export function sizeTable(summary: SizeSummary): string {
  const { runs } = summary;
  const columns: { pipeline: PipelineName | null; temperature: Temperature }[] = [
    ...TEMPERATURES.map((temperature) => ({ pipeline: null, temperature })),
    ...PIPELINE_NAMES.flatMap((pipeline) => TEMPERATURES.map((temperature) => ({ pipeline, temperature }))),
  ];
  const header = ['', ...columns.map((c) => `${c.pipeline ?? 'least'}, ${c.temperature}`)];
  const body = rows(summary).map(([label, leastCell, runCell]) => [
    label,
    ...columns.map((c) =>
      c.pipeline === null
        ? leastCell(c.temperature)
        : runCell(runs[c.pipeline][c.temperature], c.temperature),
    ),
  ]);
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
    `### ${sizeTitle(summary.size)}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`,
    ...body.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `Process memory — ${memory}.`,
    ...(errors.length > 0 ? ['', ...errors] : []),
  ].join('\n');
}

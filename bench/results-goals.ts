/**
 * The benchmark's goals for ours, each met or missed with the numbers behind it. Every threshold lives in
 * GOALS and every other number comes from the measurements, so the words cannot drift from the checks.
 */
import { bucketBound, SCAN_ACTIONS, type ScanAction, totalCalls } from './bounds.ts';
import { integer, listed, mb, percent, ratio, secondsText, share } from './results-format.ts';
import { type RunSummary, type SizeSummary, TEMPERATURES } from './results-summary.ts';

export const GOALS = {
  /** Calls beyond the least a scan of the account can make, as a share of the least. */
  callsOverLeast: 0.05,
  /** The largest account, cold: time beyond the lower bound, as a share of it. */
  coldOverBound: 0.1,
  /** How many times faster a warm run is than a cold one, at least. */
  warmSpeedup: 5,
  /** Peak RSS of a whole benchmark process running ours, at most. */
  memoryMb: 256,
} as const;

export interface GoalVerdict {
  readonly goal: string;
  readonly met: boolean;
  readonly detail: string;
}

export function goalVerdicts(summaries: readonly SizeSummary[]): GoalVerdict[] {
  return [callsGoal(summaries), boundGoal(summaries), warmGoal(summaries), memoryGoal(summaries)];
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
  const met = cases.every((c) => c.over <= GOALS.callsOverLeast);
  const list = cases
    .map(
      (c) =>
        `${c.label}: ${integer(c.run.total)} of ${integer(c.least)} (${c.over >= 0 ? '+' : ''}${percent(c.over)})`,
    )
    .join('; ');
  return {
    goal: `API calls within ${share(GOALS.callsOverLeast)} of the least a scan of the account can make`,
    met,
    detail: met
      ? `Every size, cold and warm, throttled calls included — ${list}.`
      : `${list}. The worst is ${worst.label}, ${percent(worst.over)} over: see its row of calls by action above for where they go.`,
  };
}

/**
 * Where the time went, from the measurements alone: throttling, when the scan's reads ended against what
 * their buckets allow, when UpdateService ran against what its bucket allows, and the tail after the scan.
 */
function timeline(run: RunSummary, summary: SizeSummary): string[] {
  const facts: string[] = [];
  if (run.throttled > 0) facts.push(`${integer(run.throttled)} calls were throttled and retried`);
  const reads = bucketBound({ ...run.served, UpdateService: 0 }, summary.limits);
  if (run.toLastReadS !== null) {
    facts.push(
      `the scan's last read was answered at ${secondsText(run.toLastReadS)} s, where its reads' buckets allow ${secondsText(reads.seconds)} s (${reads.limitedBy})`,
    );
  }
  const updates = summary.limits.UpdateService;
  if (run.toFirstUpdateS !== null && run.toLastUpdateS !== null && updates !== undefined) {
    facts.push(
      `UpdateService was answered from ${secondsText(run.toFirstUpdateS)} s to ${secondsText(run.toLastUpdateS)} s, where its ${integer(run.served.UpdateService)} calls need ${secondsText(run.ownBound.byAction.UpdateService)} s at ${updates.perSecond}/s beyond a burst of ${updates.burst}`,
    );
    if (run.toLastReadS !== null) {
      const tail = run.toLastUpdateS - run.toLastReadS;
      facts.push(
        tail > 0
          ? `the last UpdateService came ${secondsText(tail)} s after the scan's last read`
          : 'the redeploys ended before the scan did',
      );
    }
  }
  return facts;
}

function boundGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const largest = summaries.reduce((a, b) => (b.size.services > a.size.services ? b : a));
  const run = largest.runs.ours.cold;
  const bound = largest.bound.cold;
  const goal = `${integer(largest.size.services)} services cold within ${share(GOALS.coldOverBound)} of what the buckets allow`;
  if (run.toLastUpdateS === null) {
    return {
      goal,
      met: false,
      detail: `No UpdateService was answered: ${run.errors.join('; ') || 'no error reported'}.`,
    };
  }
  const over = run.toLastUpdateS / bound.seconds - 1;
  const facts = `the last UpdateService is answered after ${secondsText(run.toLastUpdateS)} s; the buckets allow ${secondsText(bound.seconds)} s (${bound.setBy}), ${percent(over)} more`;
  if (over <= GOALS.coldOverBound) return { goal, met: true, detail: `Met: ${facts}.` };
  return {
    goal,
    met: false,
    detail: `Missed by ${percent(over - GOALS.coldOverBound)} beyond the ${share(GOALS.coldOverBound)} allowed: ${facts}. Where the time went: ${listed(timeline(run, largest)) || 'see the table'}.`,
  };
}

/** Why even a perfect warm run is not much faster than a cold one: what it still has to call. */
function warmFloor(summary: SizeSummary): string {
  const { bound, limits } = summary;
  const cold = summary.size.least.cold;
  const warm = summary.size.least.warm;
  const skipped = SCAN_ACTIONS.filter((action) => cold[action] > 0 && warm[action] === 0);
  const still = SCAN_ACTIONS.filter((action) => warm[action] > 0).map((action: ScanAction) => {
    const limit = limits[action];
    const seconds = bound.warm.buckets.byAction[action];
    return seconds > 0 && limit !== undefined
      ? `${integer(warm[action])} ${action} (${secondsText(seconds)} s at ${limit.perSecond}/s beyond a burst of ${limit.burst})`
      : `${integer(warm[action])} ${action}`;
  });
  return `even at the lower bounds (cold ${secondsText(bound.cold.seconds)} s, warm ${secondsText(bound.warm.seconds)} s, ${bound.warm.setBy}) warm would be only ${ratio(bound.cold.seconds / bound.warm.seconds)} faster: a warm run skips only ${listed(skipped)} and still makes ${listed(still)}, and each chain of calls takes a round trip per step`;
}

/** Why ours' warm run is slower than its lower bound, from the measurements. */
function warmBeyondBound(summary: SizeSummary, warm: number): string {
  const run = summary.runs.ours.warm;
  const bound = summary.bound.warm;
  const head = `ours' warm run is ${ratio(warm / bound.seconds)} its lower bound`;
  if (run.throttled > 0 || run.ownBound.seconds * (1 + GOALS.coldOverBound) >= warm) {
    return `${head}: ${listed(timeline(run, summary)) || 'see the table'}`;
  }
  // No call waited for a bucket, so the virtual time is round trips made one after another.
  const roundTrips = Math.round((warm * 1000) / summary.latencyMs);
  const chain = Math.round((bound.latencyFloor * 1000) / summary.latencyMs);
  return `${head}: no call was throttled and its calls' buckets allow ${secondsText(run.ownBound.seconds)} s, so the rest is calls waiting on one another: ${secondsText(warm)} s is ${integer(roundTrips)} round trips of ${summary.latencyMs} ms, where one chain of calls needs ${integer(chain)}`;
}

function warmGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const cases = summaries.map((summary) => {
    const cold = summary.runs.ours.cold.toLastUpdateS;
    const warm = summary.runs.ours.warm.toLastUpdateS;
    return { summary, cold, warm, speedup: cold === null || warm === null ? Number.NaN : cold / warm };
  });
  const met = cases.every((c) => c.speedup >= GOALS.warmSpeedup);
  const lines = cases.map(({ summary, cold, warm, speedup }) => {
    const head = `${integer(summary.size.services)} services: cold ${secondsText(cold)} s, warm ${secondsText(warm)} s, ${ratio(speedup)} faster`;
    if (speedup >= GOALS.warmSpeedup || cold === null || warm === null) return `${head}.`;
    const bound = summary.bound;
    const reasons: string[] = [];
    if (bound.cold.seconds / bound.warm.seconds < GOALS.warmSpeedup) reasons.push(warmFloor(summary));
    if (warm > bound.warm.seconds * (1 + GOALS.coldOverBound)) reasons.push(warmBeyondBound(summary, warm));
    return reasons.length === 0 ? `${head}.` : `${head}; ${reasons.join('; ')}.`;
  });
  return {
    goal: `warm runs at least ${GOALS.warmSpeedup}× faster than cold ones`,
    met,
    detail: lines.join(' '),
  };
}

function memoryGoal(summaries: readonly SizeSummary[]): GoalVerdict {
  const peaks = summaries.map((summary) => ({
    services: summary.size.services,
    peak: summary.maxRssMb.ours,
    before: summary.rssBeforeMb.ours,
  }));
  const worst = peaks.reduce((a, b) => (b.peak > a.peak ? b : a));
  const heap = Math.max(...summaries.flatMap((s) => TEMPERATURES.map((t) => s.runs.ours[t].heapUsedPeakMb)));
  const met = worst.peak < GOALS.memoryMb;
  const margin = met
    ? `met, ${mb(GOALS.memoryMb - worst.peak)} MB below ${GOALS.memoryMb} MB`
    : `missed by ${mb(worst.peak - GOALS.memoryMb)} MB, though the function alone may fit`;
  return {
    goal: `under ${GOALS.memoryMb} MB`,
    met,
    detail: `The largest peak RSS of a whole benchmark process running ours is ${mb(worst.peak)} MB (${integer(worst.services)} services), with ${mb(worst.before)} MB already resident before the first run; peak heapUsed ${mb(heap)} MB. That process also holds the simulated ECS API, the synthetic account and the tsx loader, so the function alone needs less: ${margin}.`,
  };
}

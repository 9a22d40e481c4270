/**
 * Handling changes, one or many at once: key each (one metadata read each), one scan of the inventory for all
 * of them, a decision per change and service, one action per service, one report per change. A burst of
 * changes then costs one scan instead of one scan per change.
 */
import { clusterNameOf, secretIdOf, splitSecretId } from '../core/arn.ts';
import { createLimiter } from '../core/bounded.ts';
import type { Change, ParsedEvent } from '../core/change.ts';
import { changeKey, unversionedKey } from '../core/change-key.ts';
import { type Decision, decide, matchingReferences } from '../core/decide.ts';
import { RotationRedeployError } from '../core/errors.ts';
import type { ChangeVersions, Invocation, OncePerKey } from '../core/ports.ts';
import { refersTo } from '../core/reference.ts';
import { buildReport, failureReason, type Report, reportedChange, type ScanCounts } from '../core/report.ts';
import type { CodeDeployGroupLookup, Service } from '../core/service.ts';
import { moveSeen } from '../core/staleness.ts';
import { actPerService } from './act-per-service.ts';
import type { HandleChangePorts, RunOptions } from './handle-change.ts';
import { scan } from './scan.ts';

/** A change run whose report has failed services: the change is not done, and no record may say it is. */
class ChangeNotDoneError extends RotationRedeployError {
  constructor(readonly report: Report) {
    super(`${report.summary.failed} services of change ${report.changeKey ?? report.change.arn} failed`);
  }
}

/** What became of one event: its report, or why it could not be handled (it should be retried). */
export type ChangeResult = { readonly report: Report } | { readonly error: unknown };

const NO_SCAN: ScanCounts = { clusters: 0, services: 0, taskDefinitions: 0 };

/** What a change's metadata said: the version its label (or the parameter) points to now, and the full ARN. */
export interface CurrentVersion {
  readonly version: string | null;
  readonly arn?: string;
}

/** An event whose metadata was read before (by the change function, ahead of the buffer); null: unreadable. */
export interface ReadChange {
  readonly parsed: ParsedEvent;
  readonly current: CurrentVersion | null;
}

/** An event to handle: parsed only (its metadata is read here), or with its metadata already read. */
export type ChangeInput = ParsedEvent | ReadChange;

const isRead = (input: ChangeInput): input is ReadChange => 'parsed' in input;

/**
 * The version the change's label points to now, from metadata only; null when there is no reader or it
 * failed (a deleted secret or a denied DescribeSecret still deserves its redeploy: it is keyed by its event).
 */
export async function readCurrentVersion(
  parsed: ParsedEvent,
  changeVersions: ChangeVersions | undefined,
  invocation: Invocation,
): Promise<CurrentVersion | null> {
  if (changeVersions === undefined || parsed.ignored !== null) return null;
  try {
    return await changeVersions.currentVersion(parsed.change, invocation);
  } catch {
    return null;
  }
}

/**
 * The change as a key. With the current version, the version is the one the label points to *now*: a late or
 * repeated announcement of an older value then shares the key of the newest, which is the value new tasks read.
 * When the event only named the secret, the full ARN found also pins down its suffix.
 */
function keyOf(
  parsed: ParsedEvent,
  current: CurrentVersion | null,
  coalesceSeconds: number | null,
): { change: Change; key: string } {
  let { change } = parsed;
  const version = current?.version ?? change.versionId;
  const item = change.item;
  if (current?.arn !== undefined && item.kind === 'secretsmanager' && item.suffix === null) {
    const { name, suffix } = splitSecretId(secretIdOf(current.arn) ?? '', item.name);
    if (name === item.name && suffix !== null) {
      change = { ...change, arn: current.arn, item: { ...item, suffix } };
    }
  }
  return {
    change,
    key: changeKey(change, version, unversionedKey(change, parsed, coalesceSeconds)),
  };
}

interface Keyed {
  readonly change: Change;
  readonly key: string;
}

/**
 * Runs `work` once for the keys `once` has not seen: each key is claimed first (a key already handled is a
 * duplicate), then `work` runs once for every claimed key and its reports complete the claims. A claim that
 * cannot be made (another run holds the key, the table is unreachable) is that key's error alone.
 */
async function oncePerKey(
  keys: readonly string[],
  once: OncePerKey,
  invocation: Invocation,
  work: (claimed: ReadonlySet<string>) => Promise<ReadonlyMap<string, Report>>,
): Promise<Map<string, 'duplicate' | { report: Report } | { error: unknown }>> {
  let finish: (reports: ReadonlyMap<string, Report> | { error: unknown }) => void = () => {};
  const finished = new Promise<ReadonlyMap<string, Report> | { error: unknown }>((resolve) => {
    finish = resolve;
  });
  const claims = keys.map((key) => {
    let claimed: () => void = () => {};
    const onClaim = new Promise<'claimed'>((resolve) => {
      claimed = () => resolve('claimed');
    });
    let report: Report | undefined;
    // Only the summary is stored with the key: a report of thousands of services would not fit an item.
    const run = once.run(
      key,
      async () => {
        claimed();
        const reports = await finished;
        if ('error' in reports) throw reports.error;
        report = reports.get(key);
        if (report === undefined) throw new Error(`no report for ${key}`);
        // Failed services keep the change open: no record says it is done, so it is handled again when it is
        // announced again (a repeated event, a retry).
        if (report.summary.failed > 0) throw new ChangeNotDoneError(report);
        return { summary: report.summary, scanned: report.scanned };
      },
      invocation,
    );
    const state = Promise.race([
      onClaim,
      run.then(({ duplicate }) => (duplicate ? ('duplicate' as const) : ('claimed' as const))),
    ]);
    const result = run.then(
      ({ duplicate }) => (duplicate || report === undefined ? ('duplicate' as const) : { report }),
      (error: unknown) => (error instanceof ChangeNotDoneError ? { report: error.report } : { error }),
    );
    return { key, state, result };
  });
  const states = await Promise.allSettled(claims.map((claim) => claim.state));
  const fresh = new Set(
    keys.filter((_, index) => states[index]?.status === 'fulfilled' && states[index].value === 'claimed'),
  );
  if (fresh.size > 0) {
    try {
      finish(await work(fresh));
    } catch (error) {
      finish({ error });
    }
  }
  const results = new Map<string, 'duplicate' | { report: Report } | { error: unknown }>();
  for (const claim of claims) results.set(claim.key, await claim.result);
  return results;
}

/**
 * Handles parsed events together and returns one result per event, in the order given. Ignored events and
 * repeats of a change already given (the same change key) look at nothing; the others share one scan.
 */
export async function redeployForChanges(
  inputs: readonly ChangeInput[],
  ports: HandleChangePorts,
  options: RunOptions,
  invocation: Invocation = { now: () => Date.now() },
): Promise<ChangeResult[]> {
  const now = () => invocation.now();
  const started = now();
  const limit = createLimiter(options.concurrency);
  // A windowed key is safe only where every redeploy waits out the window first: queued delivery.
  const window = ports.delivery.kind === 'queued' ? ports.delivery.coalesceSeconds : null;
  const events = inputs.map((input) => (isRead(input) ? input.parsed : input));
  const keyed = await Promise.all(
    inputs.map((input) => {
      const parsed = isRead(input) ? input.parsed : input;
      if (parsed.ignored !== null) return null;
      return limit(async (): Promise<Keyed> => {
        const current = isRead(input)
          ? input.current
          : await readCurrentVersion(parsed, ports.changeVersions, invocation);
        const { change, key } = keyOf(parsed, current, window);
        const move = moveSeen(parsed, change, current?.version ?? null, key);
        // Kept for the audit, which prefers it to a bound; without it the audit falls back to that bound.
        if (move !== null) await ports.moves?.record(move).catch(() => {});
        return { change, key };
      });
    }),
  );
  // The first event of each change key acts; a later one of the same key is that change again.
  const distinct = new Map<string, Keyed>();
  for (const entry of keyed) if (entry !== null && !distinct.has(entry.key)) distinct.set(entry.key, entry);

  const work = (keys: ReadonlySet<string>) =>
    handleDistinct(
      [...distinct.values()].filter((entry) => keys.has(entry.key)),
      ports,
      options,
      () => now() - started,
      now,
    );
  const results =
    ports.once === undefined || options.dryRun
      ? new Map([...(await work(new Set(distinct.keys())))].map(([key, report]) => [key, { report }]))
      : await oncePerKey([...distinct.keys()], ports.once, invocation, work);

  const told = new Set<string>();
  return events.map((parsed, index): ChangeResult => {
    const entry = keyed[index];
    const report = (change: Change, ignored: Report['ignored']) =>
      buildReport({
        change,
        ignored,
        dryRun: options.dryRun,
        outcomes: [],
        scanned: NO_SCAN,
        durationMs: now() - started,
      });
    if (entry === null || entry === undefined) return { report: report(parsed.change, parsed.ignored) };
    const result = results.get(entry.key);
    const repeated = told.has(entry.key);
    told.add(entry.key);
    if (result === undefined || result === 'duplicate' || repeated) {
      return { report: { ...report(entry.change, 'already-handled'), changeKey: entry.key } };
    }
    return result;
  });
}

/** One scan for every change given (each of a distinct key); one report per change, by key. */
async function handleDistinct(
  changes: readonly Keyed[],
  ports: HandleChangePorts,
  options: RunOptions,
  elapsed: () => number,
  now: () => number,
): Promise<Map<string, Report>> {
  if (changes.length === 0) return new Map();
  const acting = actPerService(
    ports.delivery,
    options,
    changes.map(({ key, change }) => ({
      key,
      change: reportedChange(change),
      movedLabels: change.movedLabels,
    })),
    now,
  );
  const lookingUp: Promise<void>[] = [];
  const { deploymentGroups } = ports;
  // One decision per change that concerns the service (null for the others).
  const decideAll = (
    service: Service,
    references: readonly Decision['references'][number][],
    group?: CodeDeployGroupLookup,
  ) =>
    changes.map(({ change }) => {
      const matching = matchingReferences(change, references);
      return matching.length === 0 ? null : decide(change, service, matching, group);
    });
  // A service is decided once per change, whatever number of its containers or references match. A
  // CODE_DEPLOY service is decided again once its deployment group is known, and only if nothing else skips it.
  const onUser = (service: Service, references: Decision['references'][number][]) => {
    const decisions = decideAll(service, references);
    const needsGroup = decisions.some(
      (decision) => decision?.action === 'skip' && decision.controllerSkip === 'codedeploy-off',
    );
    if (deploymentGroups === undefined || !needsGroup) {
      acting.act(decisions);
      return;
    }
    const lookup = deploymentGroups
      .groupOf({ clusterName: clusterNameOf(service.clusterArn), serviceName: service.serviceName })
      .then(
        (group) => acting.act(decideAll(service, references, group)),
        (error: unknown) => {
          decisions.forEach((decision, index) => {
            if (decision !== null)
              acting.recheck(
                index,
                service,
                decision.references,
                `deployment group unreadable: ${failureReason(error)}`,
              );
          });
        },
      );
    lookingUp.push(lookup);
  };
  const { unreadable, scanned } = await scan(
    ports,
    options.concurrency,
    (references) =>
      references.filter((reference) => changes.some(({ change }) => refersTo(reference, change.item))),
    onUser,
  );
  await Promise.all(lookingUp);
  // A service whose task definition could not be read may use any of the items: a recheck for each change.
  for (const { service, error } of unreadable) {
    changes.forEach((_, index) => {
      acting.recheck(index, service, [], `task definition unreadable: ${failureReason(error)}`);
    });
  }
  const outcomes = await acting.finish();
  const reports = new Map<string, Report>();
  changes.forEach(({ change, key }, index) => {
    const own = outcomes[index] ?? [];
    reports.set(key, {
      ...buildReport({
        change,
        ignored: null,
        dryRun: options.dryRun,
        outcomes: own,
        scanned,
        durationMs: elapsed(),
      }),
      changeKey: key,
    });
  });
  return reports;
}

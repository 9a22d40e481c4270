/**
 * Handling one change: change → inventory → decisions → act → report, once per change key.
 */
import { clusterNameOf, secretIdOf, splitSecretId } from '../core/arn.ts';
import { createLimiter } from '../core/bounded.ts';
import type { Change, ParsedEvent } from '../core/change.ts';
import { changeKey } from '../core/change-key.ts';
import { type Decision, decide, matchingReferences } from '../core/decide.ts';
import type {
  ChangeVersions,
  DeploymentGroups,
  Invocation,
  MoveTimes,
  OncePerKey,
  Redeployer,
} from '../core/ports.ts';
import { CONTROLLER_SKIP_TEXT } from '../core/reason-texts.ts';
import type { Reference } from '../core/reference.ts';
import {
  buildReport,
  failureReason,
  outcomeOf,
  type Report,
  type ReportedChange,
  reportedChange,
  type ServiceOutcome,
} from '../core/report.ts';
import type { RedeployPath, RedeployTarget, Service, ServiceRef } from '../core/service.ts';
import { moveSeen } from '../core/staleness.ts';
import { SQS_BATCH_MAX } from '../wiring/limits.ts';
import { type EnqueuePorts, enqueueRedeploys } from './enqueue-redeploys.ts';
import { type ScanPorts, scan } from './scan.ts';

/** How a decided redeploy is carried out: UpdateService now, or one message per service on the durable queue. */
export type Delivery =
  | { readonly kind: 'direct'; readonly redeployer: Redeployer }
  | ({ readonly kind: 'queued'; readonly coalesceSeconds: number } & EnqueuePorts);

export interface HandleChangePorts extends ScanPorts {
  readonly delivery: Delivery;
  /** Reads the version a moved label points to now, so every announcement of one value shares a key. */
  readonly changeVersions?: ChangeVersions | undefined;
  /** Makes the work once per change key (a duplicate answers `ignored: already-handled`). */
  readonly once?: OncePerKey | undefined;
  /** Finds CODE_DEPLOY services' deployment groups; without it (CodeDeploy turned off) they are skipped. */
  readonly deploymentGroups?: DeploymentGroups | undefined;
  /** Keeps the label moves events report, for the audit. */
  readonly moves?: MoveTimes | undefined;
}

/** The part of the service a queued redeploy needs, with the deployment group when CodeDeploy deploys it. */
function redeployRef(service: Service, path: RedeployPath): ServiceRef {
  const { serviceArn, serviceName, clusterArn } = service;
  return path.via === 'codedeploy'
    ? { serviceArn, serviceName, clusterArn, codeDeployGroup: path.group }
    : { serviceArn, serviceName, clusterArn };
}

/** A direct redeploy's target: also the deployments the scan saw, so only a new one counts as the tool's. */
function redeployTarget(service: Service, path: RedeployPath): RedeployTarget {
  return { ...redeployRef(service, path), deploymentIds: service.deploymentIds };
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly concurrency: number;
}

/**
 * Carries out decisions as they arrive: skips and dry runs are recorded, redeploys start at once (direct)
 * or are handed to the queue in batches (queued). `finish` waits for everything and returns the outcomes.
 */
function actor(delivery: Delivery, options: RunOptions, keyed: { key: string; change: ReportedChange }) {
  const outcomes: ServiceOutcome[] = [];
  const inFlight: Promise<void>[] = [];
  const limit = createLimiter(options.concurrency);
  let batch: Decision[] = [];

  const handOff = (decisions: Decision[]) => {
    if (delivery.kind !== 'queued' || decisions.length === 0) return;
    // All or nothing: a failed hand-off fails the run, and the retried run hands off again (the worker
    // redeploys each service once per change key, so a second hand-off costs nothing).
    const redeploys = decisions.flatMap((decision) => (decision.action === 'redeploy' ? [decision] : []));
    const messages = redeploys.map(({ service, path }) => ({
      service: redeployRef(service, path),
      changeKey: keyed.key,
      change: keyed.change,
    }));
    const sent = enqueueRedeploys(messages, delivery, delivery.coalesceSeconds).then(() => {
      for (const { service, references, path } of redeploys)
        outcomes.push(outcomeOf(service, references, 'queued', null, null, { path }));
    });
    // Observed here so an early failure is not reported as unhandled before `finish` awaits it.
    sent.catch(() => {});
    inFlight.push(sent);
  };

  return {
    act(decision: Decision): void {
      const { service, references } = decision;
      if (decision.action === 'skip') {
        const detail =
          decision.controllerSkip === null ? null : CONTROLLER_SKIP_TEXT[decision.controllerSkip];
        outcomes.push(outcomeOf(service, references, 'skipped', decision.reason, null, { detail }));
        return;
      }
      const { path } = decision;
      if (options.dryRun) {
        outcomes.push(outcomeOf(service, references, 'would-redeploy', null, null, { path }));
      } else if (delivery.kind === 'queued') {
        batch.push(decision);
        // One SendMessageBatch's worth: queued hand-offs go out as soon as this many are decided.
        if (batch.length >= SQS_BATCH_MAX) {
          handOff(batch);
          batch = [];
        }
      } else {
        const { redeployer } = delivery;
        inFlight.push(
          limit(() => redeployer.redeploy(redeployTarget(service, path))).then(
            ({ deploymentId }) =>
              void outcomes.push(outcomeOf(service, references, 'redeployed', null, deploymentId, { path })),
            // One service's failure is that service's outcome; the others go on.
            (error: unknown) =>
              void outcomes.push(
                outcomeOf(service, references, 'failed', failureReason(error), null, { path }),
              ),
          ),
        );
      }
    },
    /** A service that could not be decided (its deployment group could not be read). */
    fail(service: Service, references: readonly Reference[], reason: string): void {
      outcomes.push(outcomeOf(service, references, 'failed', reason));
    },
    async finish(): Promise<ServiceOutcome[]> {
      handOff(batch);
      batch = [];
      await Promise.all(inFlight);
      return outcomes;
    },
  };
}

/**
 * The change as a key. With `changeVersions`, the version is the one the label points to *now*: a late or
 * repeated announcement of an older value then shares the key of the newest, which is the value new tasks read.
 * When the event only named the secret, the full ARN found here also pins down its suffix.
 */
async function keyOf(
  parsed: ParsedEvent,
  changeVersions: ChangeVersions | undefined,
  invocation: Invocation,
): Promise<{ change: Change; key: string; current: string | null }> {
  let { change } = parsed;
  let version = change.versionId;
  let described: string | null = null;
  if (changeVersions !== undefined) {
    try {
      const current = await changeVersions.currentVersion(change, invocation);
      described = current.version;
      version = current.version ?? version;
      const item = change.item;
      if (current.arn !== undefined && item.kind === 'secretsmanager' && item.suffix === null) {
        const { name, suffix } = splitSecretId(secretIdOf(current.arn) ?? '', item.name);
        if (name === item.name && suffix !== null) {
          change = { ...change, arn: current.arn, item: { ...item, suffix } };
        }
      }
    } catch {
      // A deleted secret or a denied DescribeSecret still deserves its redeploy: key by the event instead.
    }
  }
  return {
    change,
    key: changeKey(change, version, parsed.eventId ?? `${change.trigger}:${change.versionId ?? 'unknown'}`),
    current: described,
  };
}

/** Handles one parsed event end to end and returns its report. */
export async function redeployForChange(
  parsed: ParsedEvent,
  ports: HandleChangePorts,
  options: RunOptions,
  invocation: Invocation = { now: () => Date.now() },
): Promise<Report> {
  const now = () => invocation.now();
  const started = now();
  const noScan = { clusters: 0, services: 0, taskDefinitions: 0 };
  if (parsed.ignored !== null) {
    return buildReport({
      change: parsed.change,
      ignored: parsed.ignored,
      dryRun: options.dryRun,
      outcomes: [],
      scanned: noScan,
      durationMs: now() - started,
    });
  }
  const { change, key, current } = await keyOf(parsed, ports.changeVersions, invocation);
  const move = moveSeen(parsed, change, current, key);
  // Kept for the audit, which prefers it to a bound; without it the audit falls back to that bound.
  if (move !== null) await ports.moves?.record(move).catch(() => {});
  const work = async (): Promise<Report> => {
    const acting = actor(ports.delivery, options, { key, change: reportedChange(change) });
    const lookingUp: Promise<void>[] = [];
    const { deploymentGroups } = ports;
    // A service is decided once, whatever number of its containers or references match. A CODE_DEPLOY
    // service is decided again once its deployment group is known, and only if nothing else skips it.
    const onUser = (service: Service, references: Reference[]) => {
      const decision = decide(change, service, references);
      if (
        deploymentGroups === undefined ||
        decision.action !== 'skip' ||
        decision.controllerSkip !== 'codedeploy-off'
      ) {
        acting.act(decision);
        return;
      }
      const lookup = deploymentGroups
        .groupOf({ clusterName: clusterNameOf(service.clusterArn), serviceName: service.serviceName })
        .then(
          (group) => acting.act(decide(change, service, references, group)),
          (error: unknown) =>
            acting.fail(service, references, `deployment group unreadable: ${failureReason(error)}`),
        );
      lookingUp.push(lookup);
    };
    const { unreadable, scanned } = await scan(
      ports,
      options.concurrency,
      (references) => matchingReferences(change, references),
      onUser,
    );
    await Promise.all(lookingUp);
    const outcomes = await acting.finish();
    for (const { service, error } of unreadable) {
      outcomes.push(outcomeOf(service, [], 'failed', `task definition unreadable: ${failureReason(error)}`));
    }
    return {
      ...buildReport({
        change,
        ignored: null,
        dryRun: options.dryRun,
        outcomes,
        scanned,
        durationMs: now() - started,
      }),
      changeKey: key,
    };
  };
  if (ports.once === undefined || options.dryRun) return work();
  let report: Report | undefined;
  // Only the summary is stored with the key: a report of thousands of services would not fit an item.
  const { duplicate } = await ports.once.run(
    key,
    async () => {
      report = await work();
      return { summary: report.summary, scanned: report.scanned };
    },
    invocation,
  );
  if (!duplicate && report !== undefined) return report;
  return {
    ...buildReport({
      change,
      ignored: 'already-handled',
      dryRun: options.dryRun,
      outcomes: [],
      scanned: noScan,
      durationMs: now() - started,
    }),
    changeKey: key,
  };
}

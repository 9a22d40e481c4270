/**
 * Carries out the decisions of one or more changes, once per service: a service that several of the changes
 * concern gets one UpdateService (direct), one planned redeploy (dry run), or one queue message per change
 * (queued, where the worker's pending record per service makes them one deployment). Outcomes are kept per
 * change, so each change's report says what happened to it.
 */
import { createLimiter } from '../core/bounded.ts';
import type { Decision } from '../core/decide.ts';
import { CONTROLLER_SKIP_TEXT } from '../core/reason-texts.ts';
import type { Reference } from '../core/reference.ts';
import {
  deferredReason,
  failureReason,
  outcomeOf,
  type ReportedChange,
  type ServiceOutcome,
} from '../core/report.ts';
import type { RedeployPath, RedeployTarget, Service, ServiceRef } from '../core/service.ts';
import { SQS_BATCH_MAX } from '../wiring/limits.ts';
import { enqueueRedeploys } from './enqueue-redeploys.ts';
import type { Delivery, RunOptions } from './handle-change.ts';

/** A change being acted on: its key (what the queue and the once-per-change records know it by). */
export interface KeyedChange {
  readonly key: string;
  readonly change: ReportedChange;
  /** The change's moved staging labels: a recheck message carries them, for the worker's decision. */
  readonly movedLabels?: readonly string[] | undefined;
}

/** What a queued service's report says when the worker is to decide for it afresh. */
export function recheckDetail(reason: string): string {
  return `${reason}; queued for the redeploy worker, which decides again from the service as it is then and retries until it can or the message reaches the dead-letter queue`;
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

/** Words for an outcome that rode on the deployment started for another change. */
export function rodeOnDetail(first: ReportedChange): string {
  return `one deployment carries this change and ${first.kind === 'ssm' ? 'parameter' : 'secret'} ${first.arn}, which this service also reads: it was started for that change`;
}

type Redeploy = Extract<Decision, { action: 'redeploy' }>;

/**
 * Acts on each service's decisions as they arrive (one per change, null where the change does not concern
 * the service); `finish` waits for everything and returns the outcomes, one list per change. `now` is when
 * the flap guard judges a queued service (a service it holds back is reported `deferred`).
 */
export function actPerService(
  delivery: Delivery,
  options: RunOptions,
  changes: readonly KeyedChange[],
  now: () => number,
) {
  const outcomes: ServiceOutcome[][] = changes.map(() => []);
  const inFlight: Promise<void>[] = [];
  const limit = createLimiter(options.concurrency);
  let batch: { index: number; decision: Redeploy }[] = [];
  const rechecks: { index: number; service: Service; references: readonly Reference[]; reason: string }[] =
    [];

  const handOff = (entries: { index: number; decision: Redeploy }[]) => {
    if (delivery.kind !== 'queued' || entries.length === 0) return;
    // All or nothing: a failed hand-off fails the run, and the retried run hands off again (the worker
    // redeploys each service once per change key, so a second hand-off costs nothing).
    const messages = entries.map(({ index, decision: { service, path } }) => {
      const { key, change } = changes[index] as KeyedChange;
      return { service: redeployRef(service, path), changeKey: key, change };
    });
    const sent = enqueueRedeploys(messages, delivery, delivery.coalesceSeconds, now()).then((held) => {
      for (const { index, decision } of entries) {
        const { service, references, path } = decision;
        const back = held.get(service.serviceArn);
        outcomes[index]?.push(
          back === undefined
            ? outcomeOf(service, references, 'queued', null, null, { path })
            : outcomeOf(service, references, 'deferred', deferredReason(back.recent, back.allowedAt), null, {
                path,
              }),
        );
      }
    });
    // Observed here so an early failure is not reported as unhandled before `finish` awaits it.
    sent.catch(() => {});
    inFlight.push(sent);
  };

  /** The first redeploying change owns the deployment; the others ride on it, saying so. */
  const shared = (redeploys: readonly { index: number }[], index: number) => {
    const first = redeploys[0]?.index ?? index;
    if (first === index) return {};
    const owner = changes[first] as KeyedChange;
    return { rodeOn: owner.key, detail: rodeOnDetail(owner.change) };
  };

  return {
    act(decisions: readonly (Decision | null)[]): void {
      const redeploys: { index: number; decision: Redeploy }[] = [];
      decisions.forEach((decision, index) => {
        if (decision === null) return;
        if (decision.action === 'redeploy') {
          redeploys.push({ index, decision });
          return;
        }
        const { service, references } = decision;
        const detail =
          decision.controllerSkip === null ? null : CONTROLLER_SKIP_TEXT[decision.controllerSkip];
        outcomes[index]?.push(outcomeOf(service, references, 'skipped', decision.reason, null, { detail }));
      });
      const [first] = redeploys;
      if (first === undefined) return;
      const { service, path } = first.decision;
      if (options.dryRun) {
        for (const { index, decision } of redeploys) {
          outcomes[index]?.push(
            outcomeOf(service, decision.references, 'would-redeploy', null, null, {
              path,
              ...shared(redeploys, index),
            }),
          );
        }
      } else if (delivery.kind === 'queued') {
        batch.push(...redeploys);
        // One SendMessageBatch's worth: queued hand-offs go out as soon as this many are decided.
        if (batch.length >= SQS_BATCH_MAX) {
          handOff(batch);
          batch = [];
        }
      } else {
        const { redeployer } = delivery;
        inFlight.push(
          limit(() => redeployer.redeploy(redeployTarget(service, path))).then(
            ({ deploymentId }) => {
              for (const { index, decision } of redeploys) {
                outcomes[index]?.push(
                  outcomeOf(service, decision.references, 'redeployed', null, deploymentId, {
                    path,
                    ...shared(redeploys, index),
                  }),
                );
              }
            },
            // One service's failure is that service's outcome, for every change it carried; the others go on.
            (error: unknown) => {
              for (const { index, decision } of redeploys) {
                outcomes[index]?.push(
                  outcomeOf(service, decision.references, 'failed', failureReason(error), null, { path }),
                );
              }
            },
          ),
        );
      }
    },
    /**
     * A service that could not be decided for a change (its task definition or deployment group could not be
     * read). Queued, it is handed to the worker with a recheck message, and the change stays open on it until
     * the worker redeploys it, decides against it, or gives its message up to the dead-letter queue. Otherwise
     * (direct, or a dry run) it is failed.
     */
    recheck(index: number, service: Service, references: readonly Reference[], reason: string): void {
      if (delivery.kind !== 'queued' || options.dryRun) {
        outcomes[index]?.push(outcomeOf(service, references, 'failed', reason));
        return;
      }
      rechecks.push({ index, service, references, reason });
    },
    async finish(): Promise<ServiceOutcome[][]> {
      handOff(batch);
      batch = [];
      if (delivery.kind === 'queued' && rechecks.length > 0) {
        const messages = rechecks.map(({ index, service }) => {
          const { key, change, movedLabels } = changes[index] as KeyedChange;
          const { serviceArn, serviceName, clusterArn } = service;
          return {
            service: { serviceArn, serviceName, clusterArn },
            changeKey: key,
            change,
            recheck: { movedLabels: movedLabels ?? [] },
          };
        });
        // All or nothing, as the hand-off: a failed send fails the run, and the retried run sends again.
        inFlight.push(
          enqueueRedeploys(messages, delivery, delivery.coalesceSeconds, now()).then(() => {
            for (const { index, service, references, reason } of rechecks) {
              outcomes[index]?.push(
                outcomeOf(service, references, 'queued', null, null, { detail: recheckDetail(reason) }),
              );
            }
          }),
        );
      }
      await Promise.all(inFlight);
      return outcomes;
    },
  };
}

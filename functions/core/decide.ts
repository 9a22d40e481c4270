/** One decision per service that references the changed item: redeploy it, or skip it and say why. */
import type { Change } from './change.ts';
import { type Reference, refersTo, unchangedReason } from './reference.ts';
import {
  type CodeDeployGroupLookup,
  type ControllerSkip,
  deployPathOf,
  type RedeployPath,
  type Service,
  type ServiceSkipReason,
  serviceSkipReason,
} from './service.ts';

/** Why a service that references the changed item is not redeployed. */
export type SkipReason = ServiceSkipReason | 'pinned-version' | 'stage-not-moved';

export type Decision =
  | {
      readonly service: Service;
      readonly references: readonly Reference[];
      readonly action: 'redeploy';
      readonly path: RedeployPath;
    }
  | {
      readonly service: Service;
      readonly references: readonly Reference[];
      readonly action: 'skip';
      readonly reason: SkipReason;
      /** Which controller case, when the reason is `deployment-controller`. */
      readonly controllerSkip: ControllerSkip | null;
    };

/** The references of a service that name the changed item; empty when the service does not use it. */
export function matchingReferences(change: Change, references: readonly Reference[]): Reference[] {
  return references.filter((reference) => refersTo(reference, change.item));
}

/**
 * Decides for one service whose task definition references the changed item. Precedence follows the
 * operator's intent first (opt-out), then what can deploy it, then whether the value read changed.
 * `group` is what was found of a CODE_DEPLOY service's deployment group (`off`: not looked up).
 */
export function decide(
  change: Change,
  service: Service,
  references: readonly Reference[],
  group: CodeDeployGroupLookup = 'off',
): Decision {
  const path = deployPathOf(service, group);
  const skip = (reason: SkipReason): Decision => ({
    service,
    references,
    action: 'skip',
    reason,
    controllerSkip: reason === 'deployment-controller' && path.via === null ? path.controllerSkip : null,
  });
  const serviceReason = serviceSkipReason(service, group);
  if (serviceReason !== null) return skip(serviceReason);
  const reasons = references.map((reference) => unchangedReason(reference, change));
  if (reasons.includes(null) && path.via !== null) return { service, references, action: 'redeploy', path };
  return skip(reasons.every((reason) => reason === 'pinned-version') ? 'pinned-version' : 'stage-not-moved');
}

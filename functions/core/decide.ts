/** One decision per service that references the changed item: redeploy it, or skip it and say why. */
import type { Change } from './change.ts';
import { type Reference, refersTo, unchangedReason } from './reference.ts';
import { type Service, type ServiceSkipReason, serviceSkipReason } from './service.ts';

/** Why a service that references the changed item is not redeployed. */
export type SkipReason =
  | ServiceSkipReason
  /** Every matching reference names a fixed version, which did not change. */
  | 'pinned-version'
  /** The staging label its references read did not move. */
  | 'stage-not-moved';

export type Decision =
  | { readonly service: Service; readonly references: readonly Reference[]; readonly action: 'redeploy' }
  | {
      readonly service: Service;
      readonly references: readonly Reference[];
      readonly action: 'skip';
      readonly reason: SkipReason;
    };

/** The references of a service that name the changed item; empty when the service does not use it. */
export function matchingReferences(change: Change, references: readonly Reference[]): Reference[] {
  return references.filter((reference) => refersTo(reference, change.item));
}

/**
 * Decides for one service whose task definition references the changed item. Precedence follows the
 * operator's intent first (opt-out), then what ECS can do, then whether the value read changed.
 */
export function decide(change: Change, service: Service, references: readonly Reference[]): Decision {
  const skip = (reason: SkipReason): Decision => ({ service, references, action: 'skip', reason });
  const serviceReason = serviceSkipReason(service);
  if (serviceReason !== null) return skip(serviceReason);
  const reasons = references.map((reference) => unchangedReason(reference, change));
  if (reasons.includes(null)) return { service, references, action: 'redeploy' };
  return skip(reasons.every((reason) => reason === 'pinned-version') ? 'pinned-version' : 'stage-not-moved');
}

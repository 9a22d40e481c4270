/**
 * The demo's words for why a service was skipped and why an event was ignored, keyed by the reasons the
 * reports carry: a new reason fails to type-check here until it has its words.
 */
import type { IgnoreReason } from '../../functions/core/change.ts';
import type { SkipReason } from '../../functions/core/decide.ts';

export const SKIP_EXPLAINED: Readonly<Record<SkipReason, string>> = {
  'opted-out': 'tagged rotation-redeploy=off',
  'deployment-controller': 'CODE_DEPLOY: its own pipeline deploys it',
  'scaled-to-zero': 'no task runs; the next one reads the new value',
  'pinned-version': 'reads a fixed version, which did not change',
  'stage-not-moved': 'the label it reads did not move',
};

export const IGNORED_EXPLAINED: Readonly<Record<IgnoreReason, string>> = {
  'pending-version-only':
    'only AWSPENDING moved. Running tasks read AWSCURRENT (or a label or version they name), so nothing they read changed yet; the rotation is not finished.',
  'metadata-only':
    'the secret’s description, key or tags changed, not its value: every task still reads what it read.',
  'rotation-not-completed':
    'a rotation started, failed or was tested, but AWSCURRENT did not move: every task still reads what it read.',
  'label-removed': 'a label was only taken off a version; no label moved to a new value.',
  'api-call-failed': 'the call failed, so nothing changed.',
  'parameter-deleted':
    'the parameter is gone: a new task could not start at all, so redeploying would only break services.',
  'parameter-label-changed':
    'ECS reads the latest parameter version, never a label, so no task reads anything new.',
  'already-handled':
    'this new value was handled already. EventBridge delivers at least once, and one rotation can be announced several ways; the state table remembers each change (item, label, version) for a day, so nothing is queued twice.',
};

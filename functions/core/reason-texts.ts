/**
 * What each reason means, in words for people, keyed by the reason types so a new reason does not compile
 * until it has its words. The CLI prints the short texts; the demo, which teaches, the longer explanations.
 */
import { OPT_TAG_KEY } from '../contract.ts';
import type { IgnoreReason } from './change.ts';
import type { SkipReason } from './decide.ts';
import type { RolloutEnd } from './rollout.ts';
import { type ControllerSkip, OPT_OUT } from './service.ts';

/** Why an event changes nothing a task would read. */
export const IGNORE_REASON_TEXT: Readonly<Record<IgnoreReason, string>> = {
  'pending-version-only': 'Only AWSPENDING moved: the new value is not live yet',
  'metadata-only': 'The secret changed but its value did not',
  'rotation-not-completed': 'The rotation has not moved AWSCURRENT',
  'label-removed': 'A label was only taken off a version',
  'api-call-failed': 'The call failed, so nothing changed',
  'parameter-deleted': 'The parameter was deleted: new tasks could not start, so none are started',
  'parameter-label-changed': 'ECS reads the latest parameter version, never a label',
  'already-handled': 'This new value was already handled (a repeated or second announcement of it)',
};

/** Why an event changes nothing a task would read, explained for someone learning how the tool works. */
export const IGNORE_REASON_EXPLAINED: Readonly<Record<IgnoreReason, string>> = {
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

/** Why a service that uses the changed item is left alone. */
export const SKIP_REASON_TEXT: Readonly<Record<SkipReason, string>> = {
  'opted-out': `tagged ${OPT_TAG_KEY}=${OPT_OUT}`,
  'deployment-controller': 'its deployment controller leaves new tasks to something else',
  'scaled-to-zero': 'no task runs; the next one reads the new value',
  'pinned-version': 'reads a fixed version, which did not change',
  'stage-not-moved': 'the label it reads did not move',
};

/** What each end of a followed rollout means. */
export const ROLLOUT_END_TEXT: Readonly<Record<RolloutEnd, string>> = {
  completed: 'every task of the new deployment started and the service is steady: it reads the new value',
  failed:
    'the deployment was stopped or rolled back (circuit breaker, alarm, a person): its tasks did not take over, so the service still runs tasks that read the old value',
  superseded:
    'a later deployment replaced it before it finished; that one also reads the current value, so this counts as done',
  'timed-out': 'not ended by the deadline: it may still be rolling, be stuck, or be held by a lifecycle hook',
};

/** What an operator should do about each end. */
export const ROLLOUT_END_ACTION: Readonly<Record<RolloutEnd, string>> = {
  completed: 'nothing',
  failed:
    "read the reason: a stopped task's ResourceInitializationError means new tasks cannot fetch the secret (check its value, its resource policy, the execution role, the KMS key); fix the cause, then redeploy the service",
  superseded: 'nothing, unless the later deployment fails: follow that one',
  'timed-out':
    'look at the service in the ECS console: a pause or approval hook waits for someone, a slow rollout may still end; redeploy it if it is stuck',
};

/** Which deployment controller case keeps the tool from starting a deployment (the report's `detail`). */
export const CONTROLLER_SKIP_TEXT: Readonly<Record<ControllerSkip, string>> = {
  external:
    'EXTERNAL deployment controller: its task sets belong to whatever manages them, which must start new ones',
  'no-deployment-group':
    'CODE_DEPLOY deployment controller, and no CodeDeploy deployment group lists this service, so there is nothing to deploy through',
  'codedeploy-off':
    'CODE_DEPLOY deployment controller, and CodeDeploy deployments are turned off (context codeDeploy=false, or --no-codedeploy)',
};
/**
 * What the `deferred` action means, beside the count in a summary: the flap guard held the service back, and
 * nothing was dropped for it.
 */
export const DEFERRED_TEXT = 'deferred by the flap guard (queued, deployed once when their hour allows)';

/**
 * The queue worker's use case: redeploy one service for the changes waiting on it, exactly once per change.
 * A repeated or redriven message finds its change done and does nothing; a change that arrived within the
 * coalescing window rides along with the first message's redeploy. No message is taken on trust: one that does
 * not parse, or whose service ARN, cluster and name disagree, is refused; the service is read afresh from ECS
 * by its ARN, and one tagged to opt out is skipped, whatever the message says.
 */
import { LOG_MESSAGES, METRICS, SERVICE_LOG_KEY } from '../contract.ts';
import { coveredBy } from '../core/change-key.ts';
import { DeploymentGroupBusyError, RotationRedeployError } from '../core/errors.ts';
import { deferral, type FlapRecord, flapVerdict, recordStart } from '../core/flap-guard.ts';
import type {
  Invocation,
  PendingRedeploys,
  Redeployer,
  RedeployHistory,
  RedeployQueue,
  RetryDelay,
  RolloutLedger,
  ServiceReader,
  SettleChecks,
  Telemetry,
} from '../core/ports.ts';
import { parseRedeployMessage, type RedeployMessage } from '../core/queue-message.ts';
import { failureReason } from '../core/report.ts';
import { isOptedOut, type RedeployTarget, type Service, type ServiceRef } from '../core/service.ts';
import { type AfreshDecision, type DecideAfreshPorts, decideAfresh } from './decide-afresh.ts';

/** Another message's worker holds the service: this message waits for a retry. */
export class ServiceBusyError extends RotationRedeployError {
  constructor(serviceArn: string) {
    super(`${serviceArn} is being redeployed for another message right now; this one will be retried`);
  }
}

/** ECS has no ACTIVE service with the message's ARN in its cluster (deleted, draining, or never there). */
export class ServiceNotFoundError extends RotationRedeployError {
  constructor(serviceArn: string, clusterArn: string) {
    super(`ECS has no ACTIVE service ${serviceArn} in cluster ${clusterArn}`);
  }
}

export type QueuedOutcome =
  | {
      readonly action: 'redeployed';
      readonly deploymentId: string | null;
      readonly changeKeys: readonly string[];
    }
  | { readonly action: 'already-done' }
  /**
   * Tagged to opt out when read again (or, for a recheck message, decided against afresh): nothing was
   * started and nothing marked done.
   */
  | { readonly action: 'skipped'; readonly reason: Extract<AfreshDecision, { action: 'skip' }>['reason'] }
  /** The CodeDeploy deployment group runs another deployment; nothing was started. */
  | { readonly action: 'waiting'; readonly reason: string }
  /**
   * The flap guard held the service back until `allowedAt` (epoch ms). Its changes stay pending on the service:
   * either this message went back to the queue for `delaySeconds` (`folded` false), or another deferred
   * message already waits and will carry them (`folded` true).
   */
  | {
      readonly action: 'deferred';
      readonly allowedAt: number;
      readonly folded: boolean;
      readonly delaySeconds: number | null;
    };

/** The redeploy waited longer than CodeDeploy ever holds a deployment group; it is given up as failed. */
export class DeploymentGroupWaitError extends RotationRedeployError {}

/** At most `limit` forced deployments of one service by this tool in any hour. */
export interface FlapGuardPorts {
  readonly history: RedeployHistory;
  /** Where a deferred message goes back to, delayed. */
  readonly queue: RedeployQueue;
  readonly limit: number;
}

export interface RedeployFromQueuePorts extends DecideAfreshPorts {
  readonly pending: PendingRedeploys;
  readonly redeployer: Redeployer;
  readonly flapGuard?: FlapGuardPorts | undefined;
  /** Reads the service afresh by its ARN (its opt-out tag may have been set since the message was queued). */
  readonly services: ServiceReader;
}

/**
 * @param owner who holds the service meanwhile (the SQS message id)
 * @param holdMs how long the hold lasts if this worker dies (the queue's visibility timeout)
 * @param until epoch milliseconds by which the redeploy gives up its retries (the invocation's time left)
 */
export async function redeployFromQueue(
  message: RedeployMessage,
  ports: RedeployFromQueuePorts,
  owner: string,
  holdMs: number,
  invocation: Invocation = { now: () => Date.now() },
  until?: number,
): Promise<QueuedOutcome> {
  // A deferred copy is the one message other changes of its service folded into: it carries them even when
  // its own change is done (a newer value of its item superseded it), or they would wait with no message.
  const claim = await ports.pending.claim(
    message.service,
    message.changeKey,
    owner,
    invocation.now() + holdMs,
    {
      sweep: message.deferredUntil !== undefined,
    },
  );
  if (claim.state === 'done') return { action: 'already-done' };
  if (claim.state === 'busy') throw new ServiceBusyError(message.service.serviceArn);
  // The service as ECS has it now, by its ARN: the operator's opt-out counts as it is now, not as it was when
  // the message was queued. (An IAM deny on UpdateService for opted-out services covers the moment between
  // this read and the call.) A recheck message is decided afresh from it.
  let current: Service;
  let target: RedeployTarget;
  try {
    current = await currentService(message.service, ports.services);
    // The deployments ECS lists now: only one that is not among them can be this redeploy's.
    target = { ...message.service, deploymentIds: current.deploymentIds };
    const decision = isOptedOut(current)
      ? ({ action: 'skip', reason: 'opted-out' } as const)
      : message.recheck === undefined
        ? null
        : await decideAfresh({ ...message, recheck: message.recheck }, current, ports);
    if (decision?.action === 'skip') {
      await ports.pending.release(message.service, owner);
      return { action: 'skipped', reason: decision.reason };
    }
    if (decision?.action === 'redeploy') {
      const { codeDeployGroup: _asQueued, ...ref } = target;
      target = decision.path.via === 'codedeploy' ? { ...ref, codeDeployGroup: decision.path.group } : ref;
    }
  } catch (error) {
    await ports.pending.release(message.service, owner);
    throw error;
  }
  const guard = ports.flapGuard;
  // Read while the claim is held: no other worker deploys this service between the check and the record.
  const history = guard === undefined ? null : await guard.history.historyOf(message.service);
  if (guard !== undefined && history !== null) {
    const verdict = flapVerdict(history, invocation.now(), guard.limit);
    if (!verdict.allowed) {
      // The changes stay pending on the service; it is freed once the waiting message is sent and noted, so
      // a second worker for this service sees that one waits and folds into it.
      try {
        return await defer(message, guard, history, verdict.allowedAt, invocation.now());
      } finally {
        await ports.pending.release(message.service, owner);
      }
    }
  }
  const startedAt = invocation.now();
  let deploymentId: string | null;
  try {
    ({ deploymentId } = await ports.redeployer.redeploy(target, until));
  } catch (error) {
    await ports.pending.release(message.service, owner);
    if (error instanceof DeploymentGroupBusyError) return { action: 'waiting', reason: error.message };
    throw error;
  }
  if (guard !== undefined && history !== null) {
    await guard.history.saveHistory(message.service, recordStart(history, startedAt, guard.limit));
  }
  // A windowed change (another account's parameter) stays pending until a deployment that started after
  // its window closed; the message's own change is always carried (its delay put it after its window).
  const carried = claim.changeKeys.filter((key) => key === message.changeKey || coveredBy(key, startedAt));
  await ports.pending.complete(message.service, owner, carried, startedAt);
  return { action: 'redeployed', deploymentId, changeKeys: carried };
}

/** The ACTIVE service with the message's ARN in the message's cluster; ServiceNotFoundError when ECS has none. */
async function currentService(service: ServiceRef, services: ServiceReader): Promise<Service> {
  const current = await services.current(service);
  if (
    current === null ||
    current.serviceArn !== service.serviceArn ||
    current.clusterArn !== service.clusterArn
  ) {
    throw new ServiceNotFoundError(service.serviceArn, service.clusterArn);
  }
  return current;
}

/**
 * Holds a redeploy back past the flap guard's limit: the message goes back on the queue, delayed until the hour
 * allows (at most SQS's 15 minutes at a time), unless another deferred message of the service already waits.
 */
async function defer(
  message: RedeployMessage,
  guard: FlapGuardPorts,
  history: FlapRecord,
  allowedAt: number,
  now: number,
): Promise<QueuedOutcome> {
  const next = deferral(history, now, allowedAt, message.deferredUntil ?? null);
  if (next.kind === 'fold') return { action: 'deferred', allowedAt, folded: true, delaySeconds: null };
  // Sent before it is noted: a crash in between leaves one message more (it defers or folds in turn), never none.
  await guard.queue.send([{ ...message, deferredUntil: next.deferredUntil }], next.delaySeconds);
  await guard.history.saveHistory(message.service, next.record);
  return { action: 'deferred', allowedAt, folded: false, delaySeconds: next.delaySeconds };
}

/** The first retry's wait; each further one doubles it. */
const FIRST_RETRY_DELAY_SECONDS = 30;
/** The longest wait: a quarter of an hour, well below the 12 hours SQS lets a message stay hidden. */
const MAX_RETRY_DELAY_SECONDS = 15 * 60;

/** Seconds before a failed message is tried again: 30 s, doubling, at most 15 minutes. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, FIRST_RETRY_DELAY_SECONDS * 2 ** Math.max(0, receiveCount - 1));
}

/**
 * How long a waiting redeploy stays out of sight before it looks at its deployment group again. A CodeDeploy
 * deployment of an ECS service takes minutes to hours; five minutes keeps the checks rare and the wait short.
 */
export const GROUP_WAIT_DELAY_SECONDS = 5 * 60;
/**
 * The longest a redeploy waits for its deployment group: CodeDeploy lets an ECS deployment wait up to 2 days for
 * traffic to be rerouted by hand and keep the original task set up to 2 more days; a day more for the rest.
 */
export const MAX_GROUP_WAIT_MS = 5 * 24 * 3600 * 1000;

/** What the worker reads of one SQS record (an SQSRecord has these and more). */
export interface QueueRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount: string };
}

export interface QueueWorkerPorts extends RedeployFromQueuePorts {
  readonly retryDelay: RetryDelay;
  /** The redeploy queue itself: a redeploy that waits for its deployment group is sent to it again. */
  readonly requeue: RedeployQueue;
  readonly telemetry: Telemetry;
  /** Absent: deployments are started and not followed (no settle queue configured). */
  readonly tracking?: RolloutTracking | undefined;
}

/** Where the worker records the deployments it starts, so they are followed to their end. */
export interface RolloutTracking {
  readonly ledger: Pick<RolloutLedger, 'recordStart' | 'recordEnd'>;
  readonly checks: SettleChecks;
  /** A rollout not ended this long after it started is `timed-out`. */
  readonly timeoutMs: number;
}

/** The first look at a rollout comes this long after it started, when no event has settled it yet. */
export const FIRST_CHECK_SECONDS = 300;

/**
 * Records the deployment and schedules its first delayed check. The deployment has happened whatever this
 * does: a failure here is logged, never retried (a retry would find the change done and start nothing).
 */
async function track(
  tracking: RolloutTracking,
  message: RedeployMessage,
  deploymentId: string | null,
  changeKeys: readonly string[],
  startedAt: number,
  telemetry: Telemetry,
): Promise<void> {
  const deadline = startedAt + tracking.timeoutMs;
  const via = message.service.codeDeployGroup === undefined ? 'ecs' : 'codedeploy';
  try {
    if (deploymentId === null) {
      await recordUnfollowable(tracking, message, changeKeys);
      return;
    }
    await tracking.ledger.recordStart({
      started: { service: serviceRefOf(message), deploymentId, via, startedAt },
      changeKeys,
      deadline,
    });
    await tracking.checks.schedule(deploymentId, Math.min(FIRST_CHECK_SECONDS, tracking.timeoutMs / 1000));
  } catch (error) {
    telemetry.warn(LOG_MESSAGES.rolloutNotTracked, {
      [SERVICE_LOG_KEY]: message.service,
      deploymentId,
      reason: failureReason(error),
    });
  }
}

/**
 * A deployment started whose id was not named cannot be followed: it is reported timed-out at once, saying
 * so (nothing will tell whether it ended), and each change it carried settles if that was its last service.
 */
async function recordUnfollowable(
  tracking: RolloutTracking,
  message: RedeployMessage,
  changeKeys: readonly string[],
): Promise<void> {
  for (const changeKey of changeKeys) {
    const ledger = await tracking.ledger.recordEnd(changeKey, {
      service: serviceRefOf(message),
      deploymentId: null,
      state: 'timed-out',
      reason: 'ECS did not name the deployment it started, so its end could not be followed',
      endedAt: null,
    });
    if (ledger !== null) await tracking.checks.settleChange(changeKey);
  }
}

/** The service as the ledger keeps it: which service, not how it is deployed. */
const serviceRefOf = ({ service }: RedeployMessage) => ({
  serviceArn: service.serviceArn,
  serviceName: service.serviceName,
  clusterArn: service.clusterArn,
});

/**
 * The service could not be redeployed for this change: its ledger says so (a report never counts it as on
 * the new value), and the change is settled if that was its last service.
 */
async function recordNotRedeployed(
  tracking: RolloutTracking,
  message: RedeployMessage,
  reason: string,
  now: number,
): Promise<void> {
  const ledger = await tracking.ledger.recordEnd(message.changeKey, {
    service: serviceRefOf(message),
    deploymentId: null,
    state: 'failed',
    reason: `not redeployed: ${reason}`,
    endedAt: now,
  });
  if (ledger !== null) await tracking.checks.settleChange(message.changeKey);
}

export interface QueueWorkerOptions {
  /** After this many receives SQS moves the message to the dead-letter queue (the queue's redrive policy). */
  readonly maxReceiveCount: number;
  /** How long a claimed service stays held if this worker dies: the queue's visibility timeout. */
  readonly visibilityTimeoutSeconds: number;
  /** Say what would be redeployed and touch nothing: a redriven message must not deploy in a dry run either. */
  readonly dryRun: boolean;
}

/** Logs and counts a deferral: not a failure, the changes wait on the service for the hour to allow. */
function reportDeferred(
  outcome: Extract<QueuedOutcome, { action: 'deferred' }>,
  fields: Readonly<Record<string, unknown>>,
  telemetry: Telemetry,
): void {
  telemetry.info(LOG_MESSAGES.redeployDeferred, {
    ...fields,
    allowedAt: new Date(outcome.allowedAt).toISOString(),
    folded: outcome.folded,
    delaySeconds: outcome.delaySeconds,
  });
  telemetry.count(METRICS.ServicesFlapping, 1);
}
/** Time an invocation must have left to start a message: its reads and writes and an UpdateService, paced. */
export const START_RESERVE_MS = 20_000;
/** Time kept back from a message's retries, to free its service, log, and hand back the messages after it. */
export const FINISH_RESERVE_MS = 10_000;
/** How soon a message handed back, untried, for lack of time is delivered again. */
export const HAND_BACK_DELAY_SECONDS = 5;

/**
 * Handles one record of a batch: redeploys, logs and counts what happened. A failure is rethrown so the
 * batch reports the record failed; before its last attempt the record is first hidden for a growing while.
 * A record that cannot be trusted is refused and handed back at once, to reach the dead-letter queue in
 * seconds; one the invocation has no time left for is queued again untried, so it spends none of its receives.
 */
export async function redeployQueueRecord(
  record: QueueRecord,
  ports: QueueWorkerPorts,
  options: QueueWorkerOptions,
  invocation: Invocation = { now: () => Date.now() },
): Promise<void> {
  const { telemetry } = ports;
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  let message: RedeployMessage;
  try {
    message = parseRedeployMessage(record.body);
  } catch (error) {
    await refuse(record, receiveCount, error, ports, options);
    throw error;
  }
  const fields = {
    [SERVICE_LOG_KEY]: message.service,
    change: message.change,
    changeKey: message.changeKey,
    receiveCount,
  };
  if (options.dryRun) {
    // Nothing claimed, nothing marked done: the record is consumed and no UpdateService is called.
    telemetry.info(LOG_MESSAGES.serviceWouldRedeploy, fields);
    return;
  }
  const remaining = invocation.remainingMs?.();
  if (remaining !== undefined && remaining < START_RESERVE_MS) {
    await handBack(record, message, ports, { ...fields, remainingMs: remaining });
    return;
  }
  const until = remaining === undefined ? undefined : invocation.now() + remaining - FINISH_RESERVE_MS;
  try {
    const holdMs = options.visibilityTimeoutSeconds * 1000;
    const outcome = await redeployFromQueue(message, ports, record.messageId, holdMs, invocation, until);
    if (outcome.action === 'already-done') {
      telemetry.info(LOG_MESSAGES.redeployAlreadyDone, fields);
      return;
    }
    if (outcome.action === 'skipped') {
      telemetry.info(LOG_MESSAGES.serviceSkipped, { ...fields, reason: outcome.reason });
      telemetry.count(METRICS.ServicesSkipped, 1);
      return;
    }
    if (outcome.action === 'waiting') {
      await waitForGroup(message, outcome.reason, ports, invocation.now(), fields);
      return;
    }
    if (outcome.action === 'deferred') {
      reportDeferred(outcome, fields, telemetry);
      return;
    }
    telemetry.info(LOG_MESSAGES.serviceRedeployed, {
      ...fields,
      deploymentId: outcome.deploymentId,
      changeKeys: outcome.changeKeys,
    });
    if (ports.tracking !== undefined) {
      await track(
        ports.tracking,
        message,
        outcome.deploymentId,
        outcome.changeKeys,
        invocation.now(),
        telemetry,
      );
    }
    telemetry.count(METRICS.ServicesRedeployed, 1);
    if (outcome.changeKeys.length > 1)
      telemetry.count(METRICS.ChangesCoalesced, outcome.changeKeys.length - 1);
  } catch (error) {
    const reason = failureReason(error);
    if (receiveCount >= options.maxReceiveCount) {
      telemetry.error(LOG_MESSAGES.serviceRedeployFailed, {
        ...fields,
        [SERVICE_LOG_KEY]: { ...message.service, reason },
        deadLetterQueue: true,
      });
      telemetry.count(METRICS.ServicesFailed, 1);
      if (ports.tracking !== undefined) {
        await recordNotRedeployed(ports.tracking, message, reason, invocation.now()).catch(
          (trackError: unknown) =>
            telemetry.warn(LOG_MESSAGES.rolloutNotTracked, {
              [SERVICE_LOG_KEY]: message.service,
              reason: failureReason(trackError),
            }),
        );
      }
    } else {
      telemetry.warn(LOG_MESSAGES.serviceRedeployRetrying, { ...fields, reason });
    }
    // The last attempt's message is made visible at once: SQS moves it to the dead-letter queue (and its alarm
    // goes off) at its next receive, not a visibility timeout later.
    const delaySeconds = receiveCount >= options.maxReceiveCount ? 0 : retryDelaySeconds(receiveCount);
    await ports.retryDelay
      .delay(record.receiptHandle, delaySeconds)
      .catch((delayError: unknown) => telemetry.warn(LOG_MESSAGES.retryNotDelayed, { error: delayError }));
    throw error;
  }
}

/** The most of a refused message's body a log line repeats. */
const BODY_EXCERPT_CHARS = 512;

/**
 * A message that cannot be trusted never gets better: nothing is done for it, and instead of waiting out a
 * visibility timeout per receive it is made visible again at once, so SQS moves it to the dead-letter queue
 * after `maxReceiveCount` receives, seconds apart. Its last receive says `service redeploy failed`.
 */
async function refuse(
  record: QueueRecord,
  receiveCount: number,
  error: unknown,
  ports: QueueWorkerPorts,
  options: QueueWorkerOptions,
): Promise<void> {
  const { telemetry } = ports;
  const reason = failureReason(error);
  const fields = {
    messageId: record.messageId,
    receiveCount,
    body: record.body.slice(0, BODY_EXCERPT_CHARS),
  };
  if (receiveCount >= options.maxReceiveCount) {
    telemetry.error(LOG_MESSAGES.serviceRedeployFailed, {
      ...fields,
      [SERVICE_LOG_KEY]: { ...claimedService(record.body), reason },
      refused: true,
      deadLetterQueue: true,
    });
    telemetry.count(METRICS.ServicesFailed, 1);
  } else {
    telemetry.warn(LOG_MESSAGES.redeployMessageRefused, {
      ...fields,
      reason,
      deadLetterQueueAfterReceives: options.maxReceiveCount,
    });
  }
  // Visible again at once, the last receive's too: SQS moves a message to the dead-letter queue only when
  // it would hand it out once more than maxReceiveCount.
  await ports.retryDelay
    .delay(record.receiptHandle, 0)
    .catch((delayError: unknown) => telemetry.warn(LOG_MESSAGES.retryNotDelayed, { error: delayError }));
}

/** The service fields a refused body claims, as far as they are strings: for the failure line's columns. */
function claimedService(body: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return {};
  }
  const service = (value as { service?: unknown } | null)?.service;
  if (typeof service !== 'object' || service === null) return {};
  const claimed: Record<string, string> = {};
  for (const key of ['serviceArn', 'serviceName', 'clusterArn']) {
    const field = (service as Record<string, unknown>)[key];
    if (typeof field === 'string') claimed[key] = field;
  }
  return claimed;
}

/**
 * Too little time is left to try this message: a copy goes back on the queue, shortly delayed, and this
 * record counts as handled, so the receive SQS already counted is not charged to a message never tried.
 * Should the copy not be sent, the record itself is handed back (a batch item failure) and costs a receive.
 */
async function handBack(
  record: QueueRecord,
  message: RedeployMessage,
  ports: QueueWorkerPorts,
  fields: Readonly<Record<string, unknown>>,
): Promise<void> {
  try {
    await ports.requeue.send([message], HAND_BACK_DELAY_SECONDS);
  } catch (error) {
    await ports.retryDelay.delay(record.receiptHandle, HAND_BACK_DELAY_SECONDS).catch(() => {});
    ports.telemetry.warn(LOG_MESSAGES.redeployHandedBack, {
      ...fields,
      requeued: false,
      reason: failureReason(error),
    });
    throw error;
  }
  ports.telemetry.info(LOG_MESSAGES.redeployHandedBack, {
    ...fields,
    requeued: true,
    nextLookSeconds: HAND_BACK_DELAY_SECONDS,
  });
}

/**
 * A group busy with another deployment is no failure: the message goes back on the queue, delayed, carrying
 * when the wait began, and this record is done. Past MAX_GROUP_WAIT_MS the wait is given up as a failure.
 */
async function waitForGroup(
  message: RedeployMessage,
  reason: string,
  ports: QueueWorkerPorts,
  now: number,
  fields: Readonly<Record<string, unknown>>,
): Promise<void> {
  const waitingSince = message.waitingSince ?? now;
  if (now - waitingSince > MAX_GROUP_WAIT_MS) {
    const hours = Math.round((now - waitingSince) / 3_600_000);
    throw new DeploymentGroupWaitError(`gave up after waiting ${hours} hours: ${reason}`);
  }
  await ports.requeue.send([{ ...message, waitingSince }], GROUP_WAIT_DELAY_SECONDS);
  ports.telemetry.info(LOG_MESSAGES.redeployWaiting, {
    ...fields,
    reason,
    waitingSince: new Date(waitingSince).toISOString(),
    nextLookSeconds: GROUP_WAIT_DELAY_SECONDS,
  });
}

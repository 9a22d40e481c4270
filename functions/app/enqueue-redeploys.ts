/** Hands decided redeploys to the durable queue: the worker then redeploys each service once per change. */
import { forEachBounded } from '../core/bounded.ts';
import { flapVerdict } from '../core/flap-guard.ts';
import type {
  PendingRedeploys,
  RedeployHistory,
  RedeployQueue,
  RolloutLedger,
  SettleChecks,
} from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import { SQS_BATCH_MAX } from '../wiring/limits.ts';

/** Where the services handed to the queue are expected, so the change settles only when each has ended. */
export interface LedgerExpectations {
  readonly ledger: Pick<RolloutLedger, 'expect'>;
  /** Watches each change's deadline, so a change settles even when a service never starts a deployment. */
  readonly checks: Pick<SettleChecks, 'watchChange'>;
  /** A change not settled this long after its messages are delivered is settled with what has not ended timed out. */
  readonly timeoutMs: number;
}

export interface EnqueuePorts {
  readonly pending: Pick<PendingRedeploys, 'add'>;
  readonly queue: RedeployQueue;
  /** The flap guard, read only: which services it holds back now (the worker enforces it). */
  readonly flapGuard?:
    | { readonly history: Pick<RedeployHistory, 'historyOf'>; readonly limit: number }
    | undefined;
  /** Absent: nothing follows the rollouts (no settle function deployed). */
  readonly expectations?: LedgerExpectations | undefined;
}

/** A service the flap guard holds back: `recent` deployments in the last hour, the next from `allowedAt` (epoch ms). */
export interface HeldBack {
  readonly recent: number;
  readonly allowedAt: number;
}

/** The first look at a change's deadline: SQS delays a message at most 15 minutes. */
const FIRST_DEADLINE_LOOK_SECONDS = 900;

/**
 * Records each service as pending (so later changes coalesce into it) and as expected in its change's ledger,
 * then queues its message, delayed by `coalesceSeconds`: the window in which further changes to a service
 * join its redeploy. Answers the services the flap guard holds back at `now`, by service ARN: their messages
 * are queued all the same, and wait.
 */
export async function enqueueRedeploys(
  messages: readonly RedeployMessage[],
  ports: EnqueuePorts,
  coalesceSeconds: number,
  now: number,
): Promise<ReadonlyMap<string, HeldBack>> {
  const held = new Map<string, HeldBack>();
  // As many records at once as one SendMessageBatch carries.
  await forEachBounded(messages, SQS_BATCH_MAX, async (message) => {
    await ports.pending.add(message);
    const guard = ports.flapGuard;
    if (guard === undefined) return;
    const verdict = flapVerdict(await guard.history.historyOf(message.service), now, guard.limit);
    if (!verdict.allowed) {
      held.set(message.service.serviceArn, { recent: verdict.recent, allowedAt: verdict.allowedAt });
    }
  });
  // Held services are queued all the same: the worker defers them until their hour allows, never drops them.
  const { expectations } = ports;
  if (expectations !== undefined) await expect(messages, expectations, coalesceSeconds, now);
  await ports.queue.send(messages, coalesceSeconds);
  return held;
}

async function expect(
  messages: readonly RedeployMessage[],
  expectations: LedgerExpectations,
  coalesceSeconds: number,
  seenAt: number,
): Promise<void> {
  const deadline = seenAt + coalesceSeconds * 1000 + expectations.timeoutMs;
  const byChange = new Map<string, RedeployMessage[]>();
  for (const message of messages)
    byChange.set(message.changeKey, [...(byChange.get(message.changeKey) ?? []), message]);
  for (const [changeKey, sameChange] of byChange) {
    const first = sameChange[0];
    if (first === undefined) continue;
    const services = sameChange.map(({ service }) => ({
      serviceArn: service.serviceArn,
      serviceName: service.serviceName,
      clusterArn: service.clusterArn,
    }));
    await expectations.ledger.expect(changeKey, first.change, services, seenAt, deadline);
    const untilDeadline = Math.ceil((deadline - seenAt) / 1000);
    await expectations.checks.watchChange(changeKey, Math.min(FIRST_DEADLINE_LOOK_SECONDS, untilDeadline));
  }
}

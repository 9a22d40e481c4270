/** Hands decided redeploys to the durable queue: the worker then redeploys each service once per change. */
import { forEachBounded } from '../core/bounded.ts';
import { flapVerdict } from '../core/flap-guard.ts';
import type { PendingRedeploys, RedeployHistory, RedeployQueue } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import { SQS_BATCH_MAX } from '../wiring/limits.ts';

export interface EnqueuePorts {
  readonly pending: Pick<PendingRedeploys, 'add'>;
  readonly queue: RedeployQueue;
  /** The flap guard, read only: which services it holds back now (the worker enforces it). */
  readonly flapGuard?:
    | { readonly history: Pick<RedeployHistory, 'historyOf'>; readonly limit: number }
    | undefined;
}

/** A service the flap guard holds back: `recent` deployments in the last hour, the next from `allowedAt` (epoch ms). */
export interface HeldBack {
  readonly recent: number;
  readonly allowedAt: number;
}

/**
 * Records each service as pending (so later changes coalesce into it), then queues its message, delayed by
 * `coalesceSeconds`: the window in which further changes to a service join its redeploy. Answers the services
 * the flap guard holds back at `now`, by service ARN: their messages are queued all the same, and wait.
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
  await ports.queue.send(messages, coalesceSeconds);
  return held;
}

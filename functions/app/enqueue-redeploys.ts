/** Hands decided redeploys to the durable queue: the worker then redeploys each service once per change. */
import { forEachBounded } from '../core/bounded.ts';
import type { PendingRedeploys, RedeployQueue } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import { SQS_BATCH_MAX } from '../wiring/limits.ts';

export interface EnqueuePorts {
  readonly pending: Pick<PendingRedeploys, 'add'>;
  readonly queue: RedeployQueue;
}

/**
 * Records each service as pending (so later changes coalesce into it), then queues its message, delayed by
 * `coalesceSeconds`: the window in which further changes to a service join its redeploy.
 */
export async function enqueueRedeploys(
  messages: readonly RedeployMessage[],
  ports: EnqueuePorts,
  coalesceSeconds: number,
): Promise<void> {
  // As many records at once as one SendMessageBatch carries.
  await forEachBounded(messages, SQS_BATCH_MAX, (message) => ports.pending.add(message));
  await ports.queue.send(messages, coalesceSeconds);
}

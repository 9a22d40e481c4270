/** Hands decided redeploys to the durable queue: the worker then redeploys each service once per change. */
import { forEachBounded } from '../core/bounded.ts';
import type { PendingRedeploys, RedeployDispatch, RedeployMessage, RedeployQueue } from '../core/ports.ts';

/** Records each service as pending (so later changes coalesce into it), then queues its message. */
export class QueueDispatch implements RedeployDispatch {
  constructor(
    private readonly pending: PendingRedeploys,
    private readonly queue: RedeployQueue,
    /** The window in which further changes to a service join its redeploy. */
    private readonly coalesceSeconds: number,
  ) {}

  async dispatch(messages: readonly RedeployMessage[]): Promise<void> {
    await forEachBounded(messages, 10, (message) => this.pending.add(message));
    await this.queue.send(messages, this.coalesceSeconds);
  }
}

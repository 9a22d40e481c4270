/**
 * The queue worker's use case: redeploy one service for the changes waiting on it, exactly once per change.
 * A repeated or redriven message finds its change done and does nothing; a change that arrived within the
 * coalescing window rides along with the first message's redeploy.
 */
import type { PendingRedeploys, Redeployer, RedeployMessage } from '../core/ports.ts';

export class ServiceBusyError extends Error {
  constructor(serviceArn: string) {
    super(`${serviceArn} is being redeployed for another message right now; this one will be retried`);
    this.name = 'ServiceBusyError';
  }
}

export type QueuedOutcome =
  | {
      readonly action: 'redeployed';
      readonly deploymentId: string | null;
      readonly changeKeys: readonly string[];
    }
  | { readonly action: 'already-done' };

export interface QueuedPorts {
  readonly pending: PendingRedeploys;
  readonly redeployer: Redeployer;
  readonly now?: () => number;
}

/**
 * @param owner who holds the service meanwhile (the SQS message id)
 * @param holdMs how long the hold lasts if this worker dies (the queue's visibility timeout)
 */
export async function redeployQueued(
  message: RedeployMessage,
  ports: QueuedPorts,
  owner: string,
  holdMs: number,
): Promise<QueuedOutcome> {
  const now = ports.now ?? Date.now;
  const claim = await ports.pending.claim(message.service, message.changeKey, owner, now() + holdMs);
  if (claim.state === 'done') return { action: 'already-done' };
  if (claim.state === 'busy') throw new ServiceBusyError(message.service.serviceArn);
  let deploymentId: string | null;
  try {
    ({ deploymentId } = await ports.redeployer.redeploy(message.service));
  } catch (error) {
    await ports.pending.release(message.service, owner);
    throw error;
  }
  await ports.pending.complete(message.service, owner, claim.changeKeys);
  return { action: 'redeployed', deploymentId, changeKeys: claim.changeKeys };
}

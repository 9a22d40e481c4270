/**
 * Gives every function that calls ECS its part of the stack's share of the account's ECS buckets. Each of
 * their processes paces itself alone, so each paces to `stackShare ÷ (processes that can run at once, all
 * functions counted)`: together, all at full speed at the same moment, they still spend no more than the
 * stack's share, and CI/CD keeps the rest.
 */
import { ENV } from '../../functions/contract.ts';
import { perProcessShare, shareText } from '../../functions/wiring/ecs-share.ts';
import { InvalidPropsError } from '../errors.ts';
import type { BundledFunction } from './bundled-function.ts';

/** A function that calls ECS, and how many of its processes can run at once (never unbounded). */
export interface EcsCaller {
  readonly fn: BundledFunction;
  /** Its reserved concurrency, or its event source's maximum concurrency. */
  readonly concurrency: number;
}

/** Sets `ECS_SHARE` on every caller; answers the share each process got. */
export function assignEcsShares(stackShare: number, callers: readonly EcsCaller[]): number {
  const share = perProcessShare(
    stackShare,
    callers.map(({ fn, concurrency }) => ({ name: fn.node.id, concurrency })),
  );
  if (share === undefined) {
    const processes = callers.reduce((sum, caller) => sum + caller.concurrency, 0);
    throw new InvalidPropsError(
      `ecsShare ${stackShare} split between ${processes} processes leaves each less than a millionth of a bucket: raise ecsShare or lower reservedConcurrency`,
    );
  }
  for (const { fn } of callers) fn.function.addEnvironment(ENV.ecsShare, shareText(share));
  return share;
}

/**
 * How the stack's share of the account's ECS API buckets is split between its processes. Every process
 * paces itself alone, so each must pace to its own part: the account's bucket × the stack's share ÷ the
 * number of processes that can run at once. Then all of them together, at full speed at the same time,
 * still spend no more than the stack's share, and CI/CD keeps the rest.
 */

/** A function of the stack that calls ECS, and how many of its processes can run at once. */
export interface EcsCaller {
  readonly name: string;
  /** Its reserved concurrency, or the event source's maximum concurrency: never unbounded. */
  readonly concurrency: number;
}

/** Six decimals: the share travels as an environment variable, and the limits read plain decimals only. */
const DECIMALS = 6;

/**
 * The share of every ECS bucket one process may spend, rounded down so the processes' shares never add up
 * to more than `stackShare`. Undefined when the division leaves nothing a process could pace to.
 */
export function perProcessShare(stackShare: number, callers: readonly EcsCaller[]): number | undefined {
  const processes = callers.reduce((sum, caller) => sum + caller.concurrency, 0);
  if (!(processes >= 1)) return undefined;
  const share = Math.floor((stackShare / processes) * 10 ** DECIMALS) / 10 ** DECIMALS;
  return share > 0 ? share : undefined;
}

/** `0.083333`: the decimal text `numberWithin` reads back (never `1e-7`). */
export function shareText(share: number): string {
  return share.toFixed(DECIMALS).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Client-side pacing of ECS calls: every attempt (retries too) first takes a token from its action's
 * bucket, so the tool never asks faster than AWS refills and leaves the account's quota to be shared.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { type BucketLimit, TokenBucket } from '../core/token-bucket.ts';
import { LIMITS } from '../wiring/limits.ts';

/**
 * AWS's documented ECS token buckets (burst, then refill per second), per account and Region and shared with
 * every other caller, CI/CD included; a call over them answers ThrottlingException.
 */
export const ECS_READ_LIMITS: Readonly<Record<string, BucketLimit>> = {
  ListClusters: { burst: 50, perSecond: 20 },
  DescribeClusters: { burst: 50, perSecond: 20 },
  ListServices: { burst: 100, perSecond: 20 },
  DescribeServices: { burst: 100, perSecond: 20 },
  DescribeTaskDefinition: { burst: 50, perSecond: 20 },
  ListTagsForResource: { burst: 50, perSecond: 20 },
  // Read by the rollout follower. Paced like the smallest read bucket above (50, then 20 a second): the
  // follower asks a few times a minute per service, far below that.
  ListTasks: { burst: 50, perSecond: 20 },
  DescribeTasks: { burst: 50, perSecond: 20 },
  ListServiceDeployments: { burst: 50, perSecond: 20 },
  DescribeServiceDeployments: { burst: 50, perSecond: 20 },
};

/** UpdateService's bucket for the whole account: 50 at once, 5 a second. */
export const ECS_UPDATE_LIMIT: BucketLimit = { burst: 50, perSecond: 5 };

/** UpdateService's bucket is 5/s for the whole account, shared with CI/CD: stay well below by default. */
export const DEFAULT_UPDATE_RATE = LIMITS.updatesPerSecond.default;

/**
 * The buckets one process paces to.
 * @param updatesPerSecond this process's UpdateService rate (the stack divides its own between its workers)
 * @param share the fraction of every other ECS bucket this process may spend (burst and refill); the burst
 *   rounds down, never below one token (a bucket must hold one to give any)
 * @param readsPerSecond at most this many calls a second of each read action besides (the scheduled
 *   reconcile leaves the rest to change events and CI/CD)
 */
export function ecsLimits(
  updatesPerSecond: number,
  share = 1,
  readsPerSecond?: number,
): Record<string, BucketLimit> {
  const reads = Object.fromEntries(
    Object.entries(ECS_READ_LIMITS).map(([action, { burst, perSecond }]) => {
      const part = { burst: Math.max(1, Math.floor(burst * share)), perSecond: perSecond * share };
      return [action, readsPerSecond === undefined ? part : shareOf(part, readsPerSecond)];
    }),
  );
  return {
    ...reads,
    UpdateService: { burst: Math.max(1, Math.floor(updatesPerSecond)), perSecond: updatesPerSecond },
  };
}

/** The name the pacing step goes by in a client's middleware stack. */
export const PACING_MIDDLEWARE = 'rotationRedeployEcsPacing';

/** A bucket refilling `perSecond` (at most the account's), with a burst of one second's worth. */
export function shareOf(limit: BucketLimit, perSecond: number): BucketLimit {
  const rate = Math.min(limit.perSecond, perSecond);
  return { burst: Math.max(1, Math.min(limit.burst, Math.floor(rate))), perSecond: rate };
}

export function paceEcsClient(
  client: ECSClient,
  limits: Readonly<Record<string, BucketLimit>>,
  clock: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): void {
  const buckets = new Map(
    Object.entries(limits).map(([action, limit]) => [action, new TokenBucket(limit, clock.now, clock.sleep)]),
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await buckets.get(String(context.commandName ?? '').replace(/Command$/, ''))?.take();
      return next(args);
    },
    // After the retry middleware, so that each attempt is paced, not only the first.
    { step: 'finalizeRequest', priority: 'low', name: PACING_MIDDLEWARE },
  );
}

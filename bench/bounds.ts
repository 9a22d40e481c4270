/**
 * What no scanner can beat: the least calls a scan of an account makes, and the least time the
 * account's token buckets allow for a number of calls. Pure: the benchmark's yardsticks.
 */
import type { BucketLimit } from '../functions/core/token-bucket.ts';
import { DESCRIBE_SERVICES_MAX, LIST_CLUSTERS_PAGE, LIST_SERVICES_PAGE } from './simulated-ecs.ts';
import type { SyntheticAccount } from './synthetic-account.ts';

/** The actions a scan makes, in the order each depends on the one before. */
export const SCAN_ACTIONS = [
  'ListClusters',
  'ListServices',
  'DescribeServices',
  'DescribeTaskDefinition',
  'UpdateService',
] as const;
export type ScanAction = (typeof SCAN_ACTIONS)[number];
export type CallsByAction = Readonly<Record<ScanAction, number>>;

/** What `leastCalls` counts, in words, with the page sizes it counts with. */
export function describeLeastCalls(): string {
  return `ListClusters ceil(C/${LIST_CLUSTERS_PAGE.max}); ListServices ceil(n_c/${LIST_SERVICES_PAGE.max}) per cluster, at least 1; DescribeServices ceil(n_c/${DESCRIBE_SERVICES_MAX}) per cluster; DescribeTaskDefinition one per distinct task definition cold, none warm; UpdateService one per matching service`;
}

/**
 * ListClusters one per page of clusters, ListServices one per page of a cluster's services (at least 1),
 * DescribeServices one per batch of a cluster's services, DescribeTaskDefinition one per distinct task
 * definition (none when every one is already known), UpdateService one per matching service.
 */
export function leastCalls(account: SyntheticAccount, knownTaskDefinitions: boolean): CallsByAction {
  let listServices = 0;
  let describeServices = 0;
  for (const cluster of account.clusters) {
    listServices += Math.max(1, Math.ceil(cluster.services.length / LIST_SERVICES_PAGE.max));
    describeServices += Math.ceil(cluster.services.length / DESCRIBE_SERVICES_MAX);
  }
  return {
    ListClusters: Math.max(1, Math.ceil(account.clusters.length / LIST_CLUSTERS_PAGE.max)),
    ListServices: listServices,
    DescribeServices: describeServices,
    DescribeTaskDefinition: knownTaskDefinitions ? 0 : account.taskDefinitions.size,
    UpdateService: account.matchingServiceArns.size,
  };
}

export const totalCalls = (calls: CallsByAction): number =>
  SCAN_ACTIONS.reduce((sum, action) => sum + calls[action], 0);

export interface BucketBound {
  /** Seconds. */
  readonly seconds: number;
  /** The action whose bucket sets the bound. */
  readonly limitedBy: ScanAction;
  readonly byAction: Readonly<Record<ScanAction, number>>;
}

/**
 * Each bucket starts full, so `calls` of one action need at least max(0, calls - burst) / refill
 * seconds; buckets refill in parallel, so the run needs at least the largest of these.
 */
export function bucketBound(
  calls: CallsByAction,
  limits: Readonly<Record<string, BucketLimit>>,
): BucketBound {
  const byAction = Object.fromEntries(
    SCAN_ACTIONS.map((action) => {
      const limit = limits[action];
      if (limit === undefined) throw new RangeError(`no bucket for ${action}`);
      return [action, Math.max(0, calls[action] - limit.burst) / limit.perSecond];
    }),
  ) as Record<ScanAction, number>;
  const limitedBy = SCAN_ACTIONS.reduce((worst, action) =>
    byAction[action] > byAction[worst] ? action : worst,
  );
  return { seconds: byAction[limitedBy], limitedBy, byAction };
}

/** Every call waits for the one before it in the chain ListClusters → … → UpdateService: one latency each. */
export function latencyFloorSeconds(calls: CallsByAction, latencyMs: number): number {
  return (SCAN_ACTIONS.filter((action) => calls[action] > 0).length * latencyMs) / 1000;
}

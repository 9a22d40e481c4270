/** An ECS service as the tool sees it, and the rules that concern the service itself. */
import { OPT_TAG_KEY } from '../contract.ts';

/** The values of the OPT_TAG_KEY tag (contract.ts): `on` opts a service in (selection `tagged`), `off` out. */
export const OPT_IN = 'on';
export const OPT_OUT = 'off';

/** The part of a service a redeploy needs: enough to call UpdateService and to key its bookkeeping. */
export interface ServiceRef {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
}

/**
 * A service to redeploy. A deployment counts as the tool's only when it did not exist before the tool acted,
 * so the ids ECS listed before come along where the scan read them; where they are not known (a queued
 * message), the redeployer reads them before its first attempt.
 */
export interface RedeployTarget extends ServiceRef {
  readonly deploymentIds?: readonly string[] | undefined;
}

/** What the tool knows about an ECS service; the inventory adapters fill it from DescribeServices. */
export interface Service extends RedeployTarget {
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  /** `ECS` (also when ECS reports none), `CODE_DEPLOY` or `EXTERNAL`. */
  readonly deploymentController: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * When its newest deployment (or task set) was created, epoch milliseconds: its tasks read their secrets
   * after that. Null when ECS reported none.
   */
  readonly deployedAt: number | null;
}

/** Why a service is left alone whatever changed: the operator's intent first, then what ECS can do. */
export type ServiceSkipReason =
  /** Tagged `rotation-redeploy=off`: the operator's word comes first. */
  | 'opted-out'
  /** CODE_DEPLOY or EXTERNAL: UpdateService cannot force a new deployment; its own pipeline deploys it. */
  | 'deployment-controller'
  /** No task runs; the next one to start reads the new value anyway. */
  | 'scaled-to-zero';

export function serviceSkipReason(
  service: Pick<Service, 'tags' | 'deploymentController' | 'desiredCount'>,
): ServiceSkipReason | null {
  if (service.tags[OPT_TAG_KEY]?.toLowerCase() === OPT_OUT) return 'opted-out';
  if (service.deploymentController !== 'ECS') return 'deployment-controller';
  if (service.desiredCount === 0) return 'scaled-to-zero';
  return null;
}

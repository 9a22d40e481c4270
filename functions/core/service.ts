/** An ECS service as the tool sees it, and the rules that concern the service itself. */
import { OPT_TAG_KEY } from '../contract.ts';

/** The part of a service a redeploy needs: enough to call UpdateService and to key its bookkeeping. */
export interface ServiceRef {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
}

/** What the tool knows about an ECS service; the inventory adapters fill it from DescribeServices. */
export interface Service extends ServiceRef {
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
export type ServiceSkipReason = 'opted-out' | 'deployment-controller' | 'scaled-to-zero';

export function serviceSkipReason(
  service: Pick<Service, 'tags' | 'deploymentController' | 'desiredCount'>,
): ServiceSkipReason | null {
  if (service.tags[OPT_TAG_KEY]?.toLowerCase() === 'off') return 'opted-out';
  if (service.deploymentController !== 'ECS') return 'deployment-controller';
  if (service.desiredCount === 0) return 'scaled-to-zero';
  return null;
}

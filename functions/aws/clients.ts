/** SDK clients, configured once: the standard chain (AWS_REGION, profiles, AWS_ENDPOINT_URL) plus adaptive retries. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';

/**
 * Adaptive mode adds a client-side token bucket that slows down on ThrottlingException, so a scan that
 * shares ECS quotas with CI/CD slows instead of failing. Ten attempts ride out a long throttling burst.
 */
export const RETRY_CONFIG = { retryMode: 'adaptive', maxAttempts: 10 } as const;

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
}

export function createAwsClients(region?: string): AwsClients {
  const config = region === undefined ? RETRY_CONFIG : { ...RETRY_CONFIG, region };
  return { ecs: new ECSClient(config), tagging: new ResourceGroupsTaggingAPIClient(config) };
}

/** SDK clients, configured once: the standard chain (AWS_REGION, profiles, AWS_ENDPOINT_URL) plus adaptive retries. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DEFAULT_UPDATE_RATE, ecsLimits, paceEcsClient } from './ecs-pacing.ts';

/**
 * Adaptive mode adds a client-side rate limiter that slows down on ThrottlingException, so a scan that
 * shares ECS quotas with CI/CD slows instead of failing. Ten attempts ride out a long throttling burst.
 */
export const RETRY_CONFIG = { retryMode: 'adaptive', maxAttempts: 10 } as const;

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
}

export interface ClientOptions {
  readonly region?: string | undefined;
  /** UpdateService calls per second at most (default 2, of the account's 5). */
  readonly updatesPerSecond?: number;
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const config = options.region === undefined ? RETRY_CONFIG : { ...RETRY_CONFIG, region: options.region };
  const ecs = new ECSClient(config);
  paceEcsClient(ecs, ecsLimits(options.updatesPerSecond ?? DEFAULT_UPDATE_RATE));
  return { ecs, tagging: new ResourceGroupsTaggingAPIClient(config) };
}

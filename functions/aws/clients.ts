/** SDK clients, configured once: the standard chain (AWS_REGION, profiles, AWS_ENDPOINT_URL) plus adaptive retries. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_UPDATE_RATE, ecsLimits, paceEcsClient } from './ecs-pacing.ts';

/**
 * Adaptive mode adds a client-side rate limiter that slows down on ThrottlingException, so a scan that
 * shares ECS quotas with CI/CD slows instead of failing. Ten attempts ride out a long throttling burst.
 */
export const RETRY_CONFIG = { retryMode: 'adaptive', maxAttempts: 10 } as const;

export interface AwsClients {
  /** ECS reads: adaptive retries, every attempt paced. */
  readonly ecs: ECSClient;
  /** UpdateService: one attempt a call, since EcsRedeployer retries itself (see why there); paced. */
  readonly ecsUpdates: ECSClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** The configuration the other clients share, for clients made per Region later. */
  readonly config: typeof RETRY_CONFIG;
}

export interface ClientOptions {
  readonly region?: string | undefined;
  /** UpdateService calls per second at most (default 2, of the account's 5). */
  readonly updatesPerSecond?: number;
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const config = options.region === undefined ? RETRY_CONFIG : { ...RETRY_CONFIG, region: options.region };
  const limits = ecsLimits(options.updatesPerSecond ?? DEFAULT_UPDATE_RATE);
  const ecs = new ECSClient(config);
  paceEcsClient(ecs, limits);
  const ecsUpdates = new ECSClient({ ...config, maxAttempts: 1 });
  paceEcsClient(ecsUpdates, limits);
  return {
    ecs,
    ecsUpdates,
    tagging: new ResourceGroupsTaggingAPIClient(config),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    config: RETRY_CONFIG,
  };
}

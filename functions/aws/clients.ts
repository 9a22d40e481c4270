/** SDK clients, configured once: the standard chain (AWS_REGION, profiles, AWS_ENDPOINT_URL) plus adaptive retries. */
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { BucketLimit } from '../core/token-bucket.ts';
import { DEFAULT_UPDATE_RATE, ecsLimits, paceEcsClient } from './ecs-pacing.ts';

/**
 * Adaptive mode adds a client-side rate limiter that slows down on ThrottlingException, so a scan that
 * shares ECS quotas with CI/CD slows instead of failing. Ten attempts ride out a long throttling burst.
 */
export const RETRY_CONFIG = { retryMode: 'adaptive', maxAttempts: 10 } as const;

/** What every client shares: the retry settings, and where and as whom it calls when told. */
export interface SharedClientConfig {
  readonly retryMode: (typeof RETRY_CONFIG)['retryMode'];
  readonly maxAttempts: number;
  readonly endpoint?: string;
  readonly credentials?: ECSClientConfig['credentials'];
  readonly requestHandler?: ECSClientConfig['requestHandler'];
}

export interface AwsClients {
  /** ECS reads: adaptive retries, every attempt paced. */
  readonly ecs: ECSClient;
  /** UpdateService: one attempt a call, since EcsRedeployer retries itself (see why there); paced. */
  readonly ecsUpdates: ECSClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  /**
   * CodeDeploy reads (deployment groups). Three attempts: a map of groups is built once in a while, and an
   * endpoint that lacks BatchGetDeploymentGroups (an emulator's HTML error, which the SDK retries as a 5xx)
   * is given up for GetDeploymentGroup in well under a second.
   */
  readonly codedeploy: CodeDeployClient;
  /** CreateDeployment and the checks around it: one attempt a call, since CodeDeployRedeployer retries itself. */
  readonly codedeployDeploys: CodeDeployClient;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** The configuration the other clients share (no Region), for clients made per Region later. */
  readonly config: SharedClientConfig;
  /** The bucket each ECS action is paced to in this process (burst, then refill per second). */
  readonly ecsLimits: Readonly<Record<string, BucketLimit>>;
}

export interface ClientOptions {
  readonly region?: string | undefined;
  /** UpdateService calls per second at most (default 2, of the account's 5). */
  readonly updatesPerSecond?: number;
  /** Every client calls this endpoint (an emulator) instead of the SDK's choice (AWS_ENDPOINT_URL, AWS). */
  readonly endpoint?: string | undefined;
  /** Instead of the SDK's credential chain. */
  readonly credentials?: ECSClientConfig['credentials'];
  /**
   * Every client sends its requests through this handler instead of HTTP: the benchmark's simulated ECS
   * API and the fault tests answer through it, behind the very client stack the functions run.
   */
  readonly requestHandler?: ECSClientConfig['requestHandler'];
  /** ECS reads per second per action at most (the scheduled reconcile); default: AWS's buckets. */
  readonly readsPerSecond?: number;
  /**
   * The fraction of every other ECS bucket this process may spend: the stack gives each function its part of
   * its share, and the CLI the tool's default share. Default 1, the whole bucket: a process alone in its
   * account, as the benchmark's.
   */
  readonly ecsShare?: number;
}

export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const shared: SharedClientConfig = {
    ...RETRY_CONFIG,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.requestHandler === undefined ? {} : { requestHandler: options.requestHandler }),
  };
  const config = options.region === undefined ? shared : { ...shared, region: options.region };
  const limits = ecsLimits(
    options.updatesPerSecond ?? DEFAULT_UPDATE_RATE,
    options.ecsShare ?? 1,
    options.readsPerSecond,
  );
  const ecs = new ECSClient(config);
  paceEcsClient(ecs, limits);
  const ecsUpdates = new ECSClient({ ...config, maxAttempts: 1 });
  paceEcsClient(ecsUpdates, limits);
  return {
    ecs,
    ecsUpdates,
    tagging: new ResourceGroupsTaggingAPIClient(config),
    codedeploy: new CodeDeployClient({ ...config, maxAttempts: 3 }),
    codedeployDeploys: new CodeDeployClient({ ...config, maxAttempts: 1 }),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    config: shared,
    ecsLimits: limits,
  };
}

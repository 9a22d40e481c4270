/**
 * The scanners the benchmark drives, each as one execution environment: build it once (cold), call
 * `run` per event; a second `run` on the same pipeline is a warm invocation with whatever it kept.
 */
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { type HandleChangePorts, redeployForChange } from '../functions/app/handle-change.ts';
import { RETRY_CONFIG } from '../functions/aws/clients.ts';
import { ClusterInventory } from '../functions/aws/ecs-inventory.ts';
import { DEFAULT_UPDATE_RATE, ecsLimits, paceEcsClient } from '../functions/aws/ecs-pacing.ts';
import { EcsRedeployer } from '../functions/aws/ecs-redeployer.ts';
import { EcsTaskDefinitions } from '../functions/aws/task-definitions.ts';
import type { ParsedEvent } from '../functions/core/change.ts';
import { DEFAULT_SETTINGS } from '../functions/wiring/settings.ts';
import { naiveRedeploy } from './naive-scanner.ts';
import { REGION } from './synthetic-account.ts';

export type EcsEndpoint = NonNullable<ECSClientConfig['requestHandler']>;

export interface RunOutcome {
  /** Services the run says it redeployed (the simulator counts what really happened). */
  readonly redeployed: number;
  readonly failed: number;
}

export interface Pipeline {
  run(parsed: ParsedEvent): Promise<RunOutcome>;
}

export type PipelineName = 'ours' | 'naive';

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/**
 * Ours, with the ECS client configured as createAwsClients does (adaptive retries, every ECS call paced
 * by our buckets) and the production adapters; the task definition cache lives as long as the pipeline.
 * The one place to swap in another pipeline: queued delivery, a persisted task definition cache.
 */
export function ourPipeline(
  endpoint: EcsEndpoint,
  options: { readonly updatesPerSecond?: number; readonly concurrency?: number } = {},
): Pipeline {
  const config = { ...RETRY_CONFIG, region: REGION, credentials: CREDENTIALS, requestHandler: endpoint };
  const limits = ecsLimits(options.updatesPerSecond ?? DEFAULT_UPDATE_RATE);
  const ecs = new ECSClient(config);
  paceEcsClient(ecs, limits);
  // As createAwsClients: UpdateService on a one-attempt client, retried by the redeployer itself.
  const ecsUpdates = new ECSClient({ ...config, maxAttempts: 1 });
  paceEcsClient(ecsUpdates, limits);
  const ports: HandleChangePorts = {
    inventory: new ClusterInventory(ecs),
    taskDefinitions: new EcsTaskDefinitions(ecs),
    delivery: { kind: 'direct', redeployer: new EcsRedeployer(ecsUpdates) },
  };
  const concurrency = options.concurrency ?? DEFAULT_SETTINGS.concurrency;
  return {
    async run(parsed) {
      const report = await redeployForChange(parsed, ports, { dryRun: false, concurrency });
      return { redeployed: report.summary.redeployed, failed: report.summary.failed };
    },
  };
}

/** The naive scanner on the same client settings, less our pacing and with standard retries. */
export function naivePipeline(
  endpoint: EcsEndpoint,
  options: { readonly servicesAtOnce?: number } = {},
): Pipeline {
  const ecs = new ECSClient({
    ...RETRY_CONFIG,
    retryMode: 'standard',
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: endpoint,
  });
  return {
    async run(parsed) {
      const { redeployed } = await naiveRedeploy(ecs, parsed.change, options.servicesAtOnce ?? 1);
      return { redeployed, failed: 0 };
    },
  };
}

export const PIPELINES: Readonly<Record<PipelineName, (endpoint: EcsEndpoint) => Pipeline>> = {
  ours: (endpoint) => ourPipeline(endpoint),
  naive: (endpoint) => naivePipeline(endpoint),
};

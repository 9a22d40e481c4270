/**
 * The scanners the benchmark drives, each as one execution environment: build it once (cold), call
 * `run` per event; a second `run` on the same pipeline is a warm invocation with whatever it kept.
 * Each says how it was built (`facts`), read from the objects it made, for the results to describe.
 */
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { redeployForChange } from '../functions/app/handle-change.ts';
import { createAwsClients, RETRY_CONFIG } from '../functions/aws/clients.ts';
import { PACING_MIDDLEWARE } from '../functions/aws/ecs-pacing.ts';
import type { ParsedEvent } from '../functions/core/change.ts';
import { changeAdapters } from '../functions/wiring/adapters.ts';
import { LIMITS } from '../functions/wiring/limits.ts';
import { NAIVE_SCANNER, naiveRedeploy } from './naive-scanner.ts';
import { REGION } from './synthetic-account.ts';

export type EcsEndpoint = NonNullable<ECSClientConfig['requestHandler']>;

export interface RunOutcome {
  /** Services the run says it redeployed (the simulator counts what really happened). */
  readonly redeployed: number;
  /** Services the run says it could not redeploy (or could not tell whether to). */
  readonly failed: number;
}

/** How a pipeline was built, as its own objects tell. */
export interface PipelineFacts {
  /** What runs: ours' use case, or the naive scanner. */
  readonly runs: string;
  /** The adapters behind the use case's ports, by class; empty for the naive scanner. */
  readonly adapters: readonly string[];
  readonly retryMode: string;
  /** Attempts per call of the reads' client. */
  readonly maxAttempts: number;
  /** Attempts per UpdateService call. */
  readonly updateAttempts: number;
  /** Whether every ECS call first takes a token from our client-side buckets. */
  readonly paced: boolean;
  /** UpdateService calls per second our pacing allows; null when not paced. */
  readonly updatesPerSecond: number | null;
  /** Task definition reads and redeploys in flight (ours), or services handled at once (naive). */
  readonly concurrency: number;
}

export interface Pipeline {
  run(parsed: ParsedEvent): Promise<RunOutcome>;
  facts(): Promise<PipelineFacts>;
}

export type PipelineName = 'ours' | 'naive';

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/** The client's retry settings, as its resolved configuration holds them. */
async function retrySettings(client: ECSClient): Promise<{ retryMode: string; maxAttempts: number }> {
  const { retryMode, maxAttempts } = client.config;
  return {
    retryMode: typeof retryMode === 'function' ? await retryMode() : retryMode,
    maxAttempts: await maxAttempts(),
  };
}

const paced = (client: ECSClient) =>
  client.middlewareStack.identify().some((name) => name.startsWith(PACING_MIDDLEWARE));

/**
 * Ours as the change functions build it (createAwsClients, then the adapters picked for direct delivery
 * without a state table), so the task definition cache lives as long as the pipeline, in memory.
 */
export function ourPipeline(
  endpoint: EcsEndpoint,
  options: { readonly updatesPerSecond?: number; readonly concurrency?: number } = {},
): Pipeline {
  const updatesPerSecond = options.updatesPerSecond ?? LIMITS.updatesPerSecond.default;
  const concurrency = options.concurrency ?? LIMITS.concurrency.default;
  const clients = createAwsClients({
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: endpoint,
    updatesPerSecond,
  });
  const ports = changeAdapters(clients, { selection: 'all' });
  return {
    async run(parsed) {
      const report = await redeployForChange(parsed, ports, { dryRun: false, concurrency });
      return { redeployed: report.summary.redeployed, failed: report.summary.failed };
    },
    async facts() {
      const delivery =
        ports.delivery.kind === 'direct'
          ? [ports.delivery.redeployer]
          : [ports.delivery.pending, ports.delivery.queue];
      return {
        runs: `\`${redeployForChange.name}\``,
        adapters: [ports.inventory, ports.taskDefinitions, ...delivery].map((port) => port.constructor.name),
        ...(await retrySettings(clients.ecs)),
        updateAttempts: (await retrySettings(clients.ecsUpdates)).maxAttempts,
        paced: paced(clients.ecs) && paced(clients.ecsUpdates),
        updatesPerSecond: paced(clients.ecsUpdates) ? updatesPerSecond : null,
        concurrency,
      };
    },
  };
}

/** The naive scanner on the same retry settings, less our pacing and with standard retries. */
export function naivePipeline(
  endpoint: EcsEndpoint,
  options: { readonly servicesAtOnce?: number } = {},
): Pipeline {
  const servicesAtOnce = options.servicesAtOnce ?? 1;
  const ecs = new ECSClient({
    ...RETRY_CONFIG,
    retryMode: 'standard',
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: endpoint,
  });
  return {
    run: (parsed) => naiveRedeploy(ecs, parsed.change, servicesAtOnce),
    async facts() {
      const settings = await retrySettings(ecs);
      return {
        runs: NAIVE_SCANNER,
        adapters: [],
        ...settings,
        updateAttempts: settings.maxAttempts,
        paced: paced(ecs),
        updatesPerSecond: null,
        concurrency: servicesAtOnce,
      };
    },
  };
}

export const PIPELINES: Readonly<Record<PipelineName, (endpoint: EcsEndpoint) => Pipeline>> = {
  ours: (endpoint) => ourPipeline(endpoint),
  naive: (endpoint) => naivePipeline(endpoint),
};

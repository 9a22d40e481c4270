/**
 * The burst measurement: many changes within a few seconds (a pipeline writing parameters, secrets rotating in
 * one window), handled three ways on one simulated account, in virtual time:
 * - `buffered`: ours as the stack runs it: each change's metadata read as it arrives (the change function),
 *   the changes gathered for the batching window, then one `redeployForChanges` for the batch (the scanner);
 * - `per-change`: ours without the buffer: `redeployForChange` per event, as many at once as the change
 *   functions' reserved concurrency allows;
 * - `naive`: the naive scanner per event, as many at once.
 * Redeploys go straight to UpdateService (direct delivery), as in the main measurement, so every call the
 * account's buckets see is counted by the simulator.
 */

import { ECSClient } from '@aws-sdk/client-ecs';
import { redeployForChange } from '../functions/app/handle-change.ts';
import { type ChangeInput, redeployForChanges } from '../functions/app/handle-changes.ts';
import { createAwsClients, RETRY_CONFIG } from '../functions/aws/clients.ts';
import { type Change, type ParsedEvent, parseEvent } from '../functions/core/change.ts';
import type { ChangeVersions } from '../functions/core/ports.ts';
import { changeAdapters } from '../functions/wiring/adapters.ts';
import { LIMITS } from '../functions/wiring/limits.ts';
import { naiveRedeploy } from './naive-scanner.ts';
import { type CallCount, SimulatedEcs } from './simulated-ecs.ts';
import { ACCOUNT_ID, REGION, type SyntheticAccount, syntheticAccount } from './synthetic-account.ts';
import { installVirtualClock } from './virtual-clock.ts';

export type BurstPipeline = 'buffered' | 'per-change' | 'naive';
export const BURST_PIPELINES: readonly BurstPipeline[] = ['buffered', 'per-change', 'naive'];

/** The burst every measurement sends, with the settings the stack deploys by default. */
export const BURST = {
  changes: 40,
  /** The changes arrive evenly spread over this many milliseconds. */
  spreadMs: 10_000,
  /** Of the changed task definitions, this many have both their secret and their parameter changed. */
  familiesWithBoth: 10,
  batchingWindowMs: LIMITS.changeBatchingWindowSeconds.default * 1000,
  batchSize: LIMITS.changeBatchSize.default,
  /** Change function runs at once without the buffer: the stack's reserved concurrency. */
  runsAtOnce: LIMITS.reservedConcurrency.default,
} as const;

/** A change event and when it arrives, milliseconds after the first. */
export interface BurstEvent {
  readonly at: number;
  readonly parsed: ParsedEvent;
}

export interface Burst {
  readonly events: readonly BurstEvent[];
  /** The services a correct run redeploys: every service whose task definition reads a changed item. */
  readonly changedServices: ReadonlySet<string>;
}

const CHANGED_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:prod/db-password-AbCdEf`;

/** The synthetic account the burst runs on (the one the main measurement builds for this shape). */
export function burstAccount(services: number, clusters: number): SyntheticAccount {
  return syntheticAccount({ services, clusters, changedSecretArn: CHANGED_SECRET_ARN });
}

/**
 * `changes` changes to the items of the account's first task definitions that are not the rotated one's: the
 * secret and the parameter of `familiesWithBoth` of them (their services read both), the secret alone of the
 * others, arriving evenly over `spreadMs`, in an order that mixes the two kinds.
 */
export function burstOf(
  account: SyntheticAccount,
  shape: Pick<typeof BURST, 'changes' | 'spreadMs' | 'familiesWithBoth'> = BURST,
): Burst {
  const families = [...account.taskDefinitions.values()]
    .filter((definition) => definition.family.startsWith('app-'))
    .sort((a, b) => a.family.localeCompare(b.family));
  const items: { arn: string; definitionArn: string }[] = [];
  for (const [index, definition] of families.entries()) {
    if (items.length >= shape.changes) break;
    const [secret, parameter] = definition.secretsByContainer[0] ?? [];
    if (secret === undefined || parameter === undefined) continue;
    items.push({ arn: secret, definitionArn: definition.arn });
    if (index < shape.familiesWithBoth && items.length < shape.changes) {
      items.push({ arn: parameter, definitionArn: definition.arn });
    }
  }
  if (items.length < shape.changes) {
    throw new RangeError(`the account has items for ${items.length} changes, not ${shape.changes}`);
  }
  const changedDefinitions = new Set(items.map((item) => item.definitionArn));
  const changedServices = new Set(
    account.clusters.flatMap((cluster) =>
      cluster.services
        .filter((service) => changedDefinitions.has(service.taskDefinitionArn))
        .map((service) => service.arn),
    ),
  );
  const gap = shape.changes > 1 ? shape.spreadMs / shape.changes : 0;
  const events = items.map((item, index) => ({
    at: Math.round(index * gap),
    parsed: eventFor(item.arn, index),
  }));
  return { events, changedServices };
}

/** The EventBridge event announcing a change to the item `arn`, as AWS sends it. */
function eventFor(arn: string, index: number): ParsedEvent {
  const envelope = {
    version: '0',
    id: `burst-${index}`,
    account: ACCOUNT_ID,
    region: REGION,
    time: '2025-11-05T03:00:41Z',
  };
  if (arn.includes(':secretsmanager:')) {
    const id = arn.slice(arn.indexOf(':secret:') + ':secret:'.length);
    return parseEvent({
      ...envelope,
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      resources: [arn],
      // The name is the id less the `-` and six characters Secrets Manager appends.
      detail: { name: id.slice(0, -7), labelUpdated: 'AWSCURRENT', versionId: `v-${index}` },
    });
  }
  const name = arn.slice(arn.indexOf(':parameter/') + ':parameter/'.length);
  return parseEvent({
    ...envelope,
    source: 'aws.ssm',
    'detail-type': 'Parameter Store Change',
    resources: [arn],
    detail: { operation: 'Update', name, type: 'String' },
  });
}

/** DescribeSecret or DescribeParameters, answered after one latency: counted, never a value. */
function countingMetadata(latencyMs: number): ChangeVersions & { reads: number } {
  const port = {
    reads: 0,
    async currentVersion(change: Change) {
      port.reads += 1;
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return { version: change.versionId ?? 'v-current' };
    },
  };
  return port;
}

export interface BurstMeasurement {
  readonly services: number;
  readonly clusters: number;
  readonly pipeline: BurstPipeline;
  readonly changes: number;
  readonly changedServices: number;
  readonly calls: Readonly<Record<string, CallCount>>;
  /** DescribeSecret and DescribeParameters calls: one per change at most. */
  readonly metadataReads: number;
  /** Virtual ms from the first event to the last UpdateService answered; null when none was. */
  readonly toLastUpdateMs: number | null;
  readonly redeployedOnce: number;
  readonly redeployedTwiceOrMore: number;
  readonly missed: number;
  readonly unexpected: number;
  /** Services the runs said they could not redeploy. */
  readonly reportedFailed: number;
  /** Real ms. */
  readonly wallMs: number;
}

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` on each event as it arrives, `atOnce` at a time, the others waiting their turn. */
async function asTheyArrive(
  events: readonly BurstEvent[],
  atOnce: number,
  work: (event: BurstEvent) => Promise<number>,
): Promise<number> {
  const arrived: BurstEvent[] = [];
  let failed = 0;
  let next = 0;
  const wake: (() => void)[] = [];
  const arrivals = events.map(async (event) => {
    await sleep(event.at);
    arrived.push(event);
    wake.shift()?.();
  });
  const runner = async () => {
    while (next < events.length) {
      const event = arrived.shift();
      if (event === undefined) {
        await new Promise<void>((resolve) => wake.push(resolve));
        continue;
      }
      next += 1;
      failed += await work(event);
    }
    // Let a runner still waiting go: nothing more will arrive.
    for (const resolve of wake.splice(0)) resolve();
  };
  await Promise.all([...arrivals, ...Array.from({ length: atOnce }, runner)]);
  return failed;
}

/** Ours with the buffer: metadata read on arrival, then one scan per batching window (or full batch). */
async function buffered(ecs: SimulatedEcs, burst: Burst, latencyMs: number) {
  const clients = createAwsClients({
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: ecs.requestHandler,
  });
  const ports = changeAdapters(clients, { selection: 'all' });
  const metadata = countingMetadata(latencyMs);
  const options = { dryRun: false, concurrency: LIMITS.concurrency.default };
  let batch: ChangeInput[] = [];
  let windowClosed: Promise<void> | null = null;
  const scans: Promise<number>[] = [];
  const handle = (inputs: ChangeInput[]) =>
    redeployForChanges(inputs, ports, options).then((results) =>
      results.reduce((sum, result) => sum + ('error' in result ? 1 : result.report.summary.failed), 0),
    );
  const close = () => {
    const taken = batch;
    batch = [];
    windowClosed = null;
    if (taken.length > 0) scans.push(handle(taken));
  };
  await Promise.all(
    burst.events.map(async (event) => {
      await sleep(event.at);
      // The change function: one metadata read, then the message to the buffer.
      const current = await metadata.currentVersion(event.parsed.change, { now: () => Date.now() });
      batch.push({ parsed: event.parsed, current });
      if (batch.length >= BURST.batchSize) close();
      // The event source opens a window with the first message and invokes the scanner when it ends.
      else windowClosed ??= sleep(BURST.batchingWindowMs).then(close);
    }),
  );
  await windowClosed;
  const failed = (await Promise.all(scans)).reduce((sum, count) => sum + count, 0);
  return { failed, metadataReads: metadata.reads };
}

/** Ours without the buffer: one change function run per event, the stack's reserved concurrency at once. */
async function perChange(ecs: SimulatedEcs, burst: Burst, latencyMs: number) {
  const clients = createAwsClients({
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: ecs.requestHandler,
  });
  const metadata = countingMetadata(latencyMs);
  const ports = { ...changeAdapters(clients, { selection: 'all' }), changeVersions: metadata };
  const options = { dryRun: false, concurrency: LIMITS.concurrency.default };
  const failed = await asTheyArrive(burst.events, BURST.runsAtOnce, async (event) => {
    const report = await redeployForChange(event.parsed, ports, options);
    return report.summary.failed;
  });
  return { failed, metadataReads: metadata.reads };
}

/** The naive scanner per event, as many at once; it reads no metadata. */
async function naive(ecs: SimulatedEcs, burst: Burst) {
  const client = new ECSClient({
    ...RETRY_CONFIG,
    retryMode: 'standard',
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: ecs.requestHandler,
  });
  const failed = await asTheyArrive(burst.events, BURST.runsAtOnce, async (event) => {
    const outcome = await naiveRedeploy(client, event.parsed.change);
    return outcome.failed;
  });
  return { failed, metadataReads: 0 };
}

/** One burst through one pipeline on a fresh simulated account, in virtual time. */
export async function measureBurst(spec: {
  readonly services: number;
  readonly clusters: number;
  readonly pipeline: BurstPipeline;
  readonly latencyMs: number;
}): Promise<BurstMeasurement> {
  const realNow = performance.now.bind(performance);
  const clock = installVirtualClock(Date.parse('2025-11-05T03:00:41Z'));
  try {
    const account = burstAccount(spec.services, spec.clusters);
    const burst = burstOf(account);
    const ecs = new SimulatedEcs(account, { latencyMs: spec.latencyMs });
    const startedAt = clock.now();
    const startedReal = realNow();
    const run =
      spec.pipeline === 'buffered'
        ? () => buffered(ecs, burst, spec.latencyMs)
        : spec.pipeline === 'per-change'
          ? () => perChange(ecs, burst, spec.latencyMs)
          : () => naive(ecs, burst);
    const outcome = await clock.run(run);
    const wallMs = realNow() - startedReal;
    const { stats } = ecs;
    let once = 0;
    let more = 0;
    let unexpected = 0;
    for (const [arn, updates] of stats.updatesByService) {
      if (!burst.changedServices.has(arn)) unexpected += 1;
      else if (updates === 1) once += 1;
      else more += 1;
    }
    return {
      services: spec.services,
      clusters: spec.clusters,
      pipeline: spec.pipeline,
      changes: burst.events.length,
      changedServices: burst.changedServices.size,
      calls: stats.calls,
      metadataReads: outcome.metadataReads,
      toLastUpdateMs: stats.lastUpdateAt === null ? null : stats.lastUpdateAt - startedAt,
      redeployedOnce: once,
      redeployedTwiceOrMore: more,
      missed: burst.changedServices.size - once - more,
      unexpected,
      reportedFailed: outcome.failed,
      wallMs,
    };
  } finally {
    clock.uninstall();
  }
}

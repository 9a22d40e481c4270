/**
 * Faults the emulator cannot make: throttling storms on every ECS action, 5xx answers and timeouts on
 * UpdateService (some after ECS acted), and one service failing every time. Runs ours on the benchmark's
 * simulated ECS API in virtual time, so the SDK's real retry stack and our pacing run at full length.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ecsEndpoint } from '../../bench/ecs-endpoint.ts';
import { SimulatedEcs } from '../../bench/simulated-ecs.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';
import { installVirtualClock, type VirtualClock } from '../../bench/virtual-clock.ts';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import { createAwsClients } from '../../functions/aws/clients.ts';
import { main } from '../../functions/cli/main.ts';
import { parseEvent } from '../../functions/core/change.ts';
import type { Report } from '../../functions/core/report.ts';
import { changeAdapters } from '../../functions/wiring/adapters.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const labelUpdated = {
  source: 'aws.secretsmanager',
  'detail-type': 'Secret Label Updated',
  account: '123456789012',
  region: 'us-east-1',
  resources: [SECRET],
  detail: { name: 'prod/db-password', labelUpdated: 'AWSCURRENT', versionId: 'v2' },
};
const change = parseEvent(labelUpdated);

/** Every action's bucket a tenth of AWS's: other callers (CI/CD) use the rest, so ours is throttled often. */
const STORM_BUCKETS = {
  ListClusters: { burst: 5, perSecond: 2 },
  ListServices: { burst: 10, perSecond: 2 },
  DescribeServices: { burst: 10, perSecond: 2 },
  DescribeTaskDefinition: { burst: 5, perSecond: 2 },
  UpdateService: { burst: 1, perSecond: 0.1 },
};

type Fault = (
  action: string,
  input: Record<string, unknown>,
  call: number,
) => 'timeout-after' | 'timeout-before' | '5xx-after' | 'refuse' | 'throttle' | null;

/** The clients every entry point makes, sending every call to the simulated ECS API. */
const simulatedClients = (endpoint: ReturnType<typeof ecsEndpoint>) =>
  createAwsClients({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    requestHandler: endpoint,
    updatesPerSecond: 2,
  });

let clock: VirtualClock | undefined;
afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

async function runWith(fault: Fault, buckets?: typeof STORM_BUCKETS) {
  clock = installVirtualClock(Date.parse('2026-11-23T00:00:00Z'));
  const account = syntheticAccount({ services: 300, clusters: 6, changedSecretArn: SECRET });
  const simulated = new SimulatedEcs(account, { latencyMs: 20, ...(buckets ? { buckets } : {}) });
  let call = 0;
  const endpoint = ecsEndpoint(async (action, input) => {
    call += 1;
    const injected = fault(action, input, call);
    if (injected === 'refuse') return { error: 'ServerException', message: 'injected failure', status: 500 };
    if (injected === 'throttle')
      return { error: 'ThrottlingException', message: 'Rate exceeded', status: 400 };
    if (injected === 'timeout-before')
      throw Object.assign(new Error('socket timeout'), { name: 'TimeoutError' });
    const answer = await simulated.answer(action, input);
    if (injected === '5xx-after')
      return { error: 'ServerException', message: 'injected after acting', status: 503 };
    if (injected === 'timeout-after')
      throw Object.assign(new Error('socket timeout'), { name: 'TimeoutError' });
    return answer;
  });
  // The clients and adapters the change functions make (direct delivery, no state table), on the simulator.
  const ports = changeAdapters(simulatedClients(endpoint), { selection: 'all' });
  const virtual = clock;
  const report = await virtual.run(() => redeployForChange(change, ports, { dryRun: false, concurrency: 8 }));
  const matching = [...account.matchingServiceArns];
  return { report, stats: simulated.stats, matching };
}

describe('faults, tried and survived', () => {
  it('redeploys every matching service exactly once through a throttling storm on every ECS action', async () => {
    // The reads meet small buckets (CI/CD takes the rest); UpdateService is refused three times per service.
    const refusedUpdates = new Map<string, number>();
    const { report, stats, matching } = await runWith((action, input) => {
      if (action !== 'UpdateService') return null;
      const service = String(input.service);
      const refused = refusedUpdates.get(service) ?? 0;
      if (refused >= 3) return null;
      refusedUpdates.set(service, refused + 1);
      return 'throttle';
    }, STORM_BUCKETS);

    const throttledReads = Object.values(stats.calls).reduce((sum, count) => sum + count.throttled, 0);
    expect(throttledReads).toBeGreaterThan(10);
    expect([...refusedUpdates.values()]).toEqual(matching.map(() => 3));
    expect(report.summary.failed).toBe(0);
    expect([...stats.updatesByService.keys()].sort()).toEqual([...matching].sort());
    expect([...stats.updatesByService.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);

  it('deploys once per service when UpdateService answers 5xx or times out, before or after ECS acted', async () => {
    const faults = ['5xx-after', 'timeout-after', 'timeout-before', 'refuse'] as const;
    let updates = 0;
    const { report, stats, matching } = await runWith((action) => {
      if (action !== 'UpdateService') return null;
      updates += 1;
      // Every other attempt fails, cycling through the kinds of failure.
      return updates % 2 === 1 ? (faults[((updates - 1) / 2) % faults.length] ?? null) : null;
    });

    expect(report.summary).toMatchObject({ redeployed: matching.length, failed: 0 });
    expect([...stats.updatesByService.values()].every((count) => count === 1)).toBe(true);
    expect(stats.updatesByService.size).toBe(matching.length);
  }, 120_000);

  it('reports the one service that fails every time, and redeploys all the others once', async () => {
    let doomed: string | undefined;
    const { report, stats, matching } = await runWith((action, input) => {
      if (action !== 'UpdateService') return null;
      doomed ??= String(input.service);
      return input.service === doomed ? 'refuse' : null;
    });

    const failed = report.services.filter((service) => service.action === 'failed');
    expect(failed.map((service) => service.serviceArn)).toEqual([doomed]);
    expect(failed[0]?.reason).toBe('ServerException: injected failure');
    expect(stats.updatesByService.size).toBe(matching.length - 1);
    expect([...stats.updatesByService.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);

  it('reports failed, and exits 1, for a service deployed seconds before the run whose UpdateService answers 5xx every time', async () => {
    // Prepare: CI/CD deploys one of the services seconds before the rotation, so its PRIMARY deployment is
    // fresh; from then on every UpdateService of it answers 500.
    clock = installVirtualClock(Date.parse('2026-11-23T00:00:00Z'));
    const virtual = clock;
    const account = syntheticAccount({ services: 300, clusters: 6, changedSecretArn: SECRET });
    const simulated = new SimulatedEcs(account, { latencyMs: 20 });
    const doomed = [...account.matchingServiceArns][0] ?? '';
    const doomedName = doomed.slice(doomed.lastIndexOf('/') + 1);
    const doomedCluster = doomed.split('/')[1] ?? '';
    await virtual.run(() =>
      simulated.answer('UpdateService', { cluster: doomedCluster, service: doomedName }),
    );
    await virtual.idle(3_000);
    simulated.resetStats();
    const endpoint = ecsEndpoint(async (action, input) =>
      action === 'UpdateService' && input.service === doomed
        ? { error: 'ServerException', message: 'injected failure', status: 500 }
        : simulated.answer(action, input),
    );
    const clients = () => simulatedClients(endpoint);
    const stdout: string[] = [];
    const io = {
      stdout: (text: string) => void stdout.push(text),
      stderr: () => {},
      progress: () => {},
      readText: async () => JSON.stringify(labelUpdated),
    };

    // Act
    const code = await virtual.run(() => main(['run', '--event', 'rotation.json', '--json'], io, clients));

    // Assess
    const report = JSON.parse(stdout.join('\n')) as Report;
    const failed = report.services.filter((service) => service.action === 'failed');
    expect(code).toBe(1);
    expect(failed.map((service) => [service.serviceName, service.deploymentId, service.reason])).toEqual([
      [doomedName, null, 'ServerException: injected failure'],
    ]);
    const others = [...account.matchingServiceArns].filter((arn) => arn !== doomed).sort();
    expect([...simulated.stats.updatesByService.keys()].sort()).toEqual(others);
    expect([...simulated.stats.updatesByService.values()].every((count) => count === 1)).toBe(true);
    expect(report.summary).toMatchObject({ redeployed: others.length, failed: 1 });
  }, 120_000);
});

/** The benchmark's pipelines: ours is built as the change functions build it, and the naive one counts its failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { ecsEndpoint } from '../../bench/ecs-endpoint.ts';
import { readRotation } from '../../bench/measurement.ts';
import { naivePipeline, ourPipeline } from '../../bench/pipelines.ts';
import { SimulatedEcs } from '../../bench/simulated-ecs.ts';
import { syntheticAccount } from '../../bench/synthetic-account.ts';
import { installVirtualClock, type VirtualClock } from '../../bench/virtual-clock.ts';
import { LIMITS } from '../../functions/wiring/limits.ts';

let clock: VirtualClock | undefined;
afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

async function setUp() {
  const { parsed, at } = await readRotation();
  clock = installVirtualClock(at);
  const account = syntheticAccount({ services: 300, clusters: 3, changedSecretArn: parsed.change.arn });
  return { parsed, account, simulated: new SimulatedEcs(account, { latencyMs: 20 }), clock };
}

describe('ourPipeline', () => {
  it('runs on the clients createAwsClients makes and the adapters the change functions pick', async () => {
    const { simulated } = await setUp();

    const facts = await ourPipeline(simulated.requestHandler).facts();

    expect(facts).toEqual({
      runs: '`redeployForChange`',
      adapters: ['ClusterInventory', 'EcsTaskDefinitions', 'RedeployerByPath'],
      retryMode: 'adaptive',
      maxAttempts: 10,
      updateAttempts: 1,
      paced: true,
      updatesPerSecond: LIMITS.updatesPerSecond.default,
      concurrency: LIMITS.concurrency.default,
    });
  });
});

describe('naivePipeline', () => {
  it('counts a service it could not redeploy as failed, and redeploys the others', async () => {
    const { parsed, account, simulated, clock } = await setUp();
    const [doomed] = [...account.matchingServiceArns];
    const endpoint = ecsEndpoint((action, input) =>
      action === 'UpdateService' && input.service === doomed
        ? { error: 'InvalidParameterException', message: 'injected refusal', status: 400 }
        : simulated.answer(action, input),
    );

    const outcome = await clock.run(() => naivePipeline(endpoint).run(parsed));

    expect(outcome).toEqual({ redeployed: account.matchingServiceArns.size - 1, failed: 1 });
    expect(simulated.stats.updatesByService.size).toBe(account.matchingServiceArns.size - 1);
  });

  it('says it is unpaced, on standard retries, one service after another', async () => {
    const { simulated } = await setUp();

    expect(await naivePipeline(simulated.requestHandler).facts()).toMatchObject({
      adapters: [],
      retryMode: 'standard',
      paced: false,
      updatesPerSecond: null,
      concurrency: 1,
    });
  });
});

/**
 * The flap guard end to end, in virtual time: a parameter updated every second, the change use case and the
 * worker on the real adapters (ECS, SSM and the state table on the emulator), and a redeploy queue that keeps
 * SQS's delays in virtual time (the emulator's delays run on the wall clock, and an hour cannot be waited).
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import { redeployFromQueue } from '../../functions/app/redeploy-from-queue.ts';
import { AwsChangeVersions, regionalMetadataClients } from '../../functions/aws/change-versions.ts';
import { ClusterInventory } from '../../functions/aws/ecs-inventory.ts';
import { EcsRedeployer } from '../../functions/aws/ecs-redeployer.ts';
import { EcsServiceReader } from '../../functions/aws/ecs-service-reader.ts';
import { StateTable } from '../../functions/aws/state-table.ts';
import { EcsTaskDefinitions } from '../../functions/aws/task-definitions.ts';
import { parseEvent } from '../../functions/core/change.ts';
import type { RedeployQueue } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import type { Report } from '../../functions/core/report.ts';
import type { ServiceRef } from '../../functions/core/service.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { awsClientConfig, MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto.ts';
import { type Seeder, seeder } from '../support/seed.ts';

const PARAMETER = '/prod/feature-flag';
const CLUSTER = 'flapping';
const SECOND = 1000;
const HOUR = 3600 * SECOND;

let moto: MotoServer;
let seed: Seeder;
let ecs: ECSClient;
let dynamodb: DynamoDBClient;
let service: ServiceRef;

/** SQS as the worker sees it, in virtual time: a message is received once its delay has passed. */
class VirtualQueue implements RedeployQueue {
  readonly waiting: { message: RedeployMessage; visibleAt: number; id: string }[] = [];
  #sent = 0;
  constructor(private readonly clock: { now: number }) {}
  async send(messages: readonly RedeployMessage[], delaySeconds: number): Promise<void> {
    for (const message of messages) {
      this.#sent += 1;
      this.waiting.push({ message, visibleAt: this.clock.now + delaySeconds * SECOND, id: `m${this.#sent}` });
    }
  }
  /** Takes the messages visible now, oldest first. */
  receive() {
    const visible = this.waiting.filter((entry) => entry.visibleAt <= this.clock.now);
    for (const entry of visible) this.waiting.splice(this.waiting.indexOf(entry), 1);
    return visible;
  }
}

const parameterEvent = (time: number) => {
  const event = JSON.parse(
    readFileSync(new URL('../../events/ssm-parameter-update.json', import.meta.url), 'utf8'),
  );
  event.id = `evt-${time}`;
  event.time = new Date(time).toISOString();
  event.resources = [`arn:aws:ssm:us-east-1:${MOTO_ACCOUNT_ID}:parameter${PARAMETER}`];
  event.detail.name = PARAMETER;
  return event;
};

/**
 * Updates the parameter once a second for `updates` seconds, handling each event as the change function does
 * and draining the queue as the worker does, then lets `runFor` of virtual time pass. Answers the reports and
 * when each UpdateService was called.
 */
async function flap(options: {
  updates: number;
  coalesceSeconds: number;
  /** The flap guard's limit; null: no guard, as before it existed. */
  limit: number | null;
  runFor: number;
}) {
  const clock = { now: Date.parse('2025-11-09T15:00:00.000Z') };
  const start = clock.now;
  const now = () => clock.now;
  const state = new StateTable(dynamodb, { tableName: 'state', now });
  const queue = new VirtualQueue(clock);
  const redeployer = new EcsRedeployer(ecs);
  const deployedAt: number[] = [];
  const invocation = { now, ownAccount: MOTO_ACCOUNT_ID };
  const changePorts = {
    inventory: new ClusterInventory(ecs),
    taskDefinitions: new EcsTaskDefinitions(ecs, state),
    delivery: {
      kind: 'queued' as const,
      pending: state,
      queue,
      coalesceSeconds: options.coalesceSeconds,
      flapGuard: options.limit === null ? undefined : { history: state, limit: options.limit },
    },
    changeVersions: new AwsChangeVersions(regionalMetadataClients(awsClientConfig(moto.endpoint))),
  };
  const workerPorts = {
    pending: state,
    services: new EcsServiceReader(ecs),
    redeployer: {
      redeploy: async (target: ServiceRef) => {
        deployedAt.push(clock.now - start);
        return redeployer.redeploy(target);
      },
    },
    flapGuard: options.limit === null ? undefined : { history: state, queue, limit: options.limit },
  };
  const reports: Report[] = [];
  for (let elapsed = 0; elapsed <= options.runFor; elapsed += SECOND) {
    clock.now = start + elapsed;
    if (elapsed < options.updates * SECOND) {
      await seed.putParameter(PARAMETER, `value at ${elapsed / SECOND} s`);
      reports.push(
        await redeployForChange(
          parseEvent(parameterEvent(clock.now)),
          changePorts,
          { dryRun: false, concurrency: 8 },
          invocation,
        ),
      );
    }
    for (const { message, id } of queue.receive()) {
      await redeployFromQueue(message, workerPorts, id, 300 * SECOND, invocation);
    }
  }
  return { reports, deployedAt, queue, state };
}

beforeAll(async () => {
  moto = await startMoto();
  seed = seeder(moto.endpoint);
  ecs = new ECSClient(awsClientConfig(moto.endpoint));
  dynamodb = new DynamoDBClient(awsClientConfig(moto.endpoint));
});

afterAll(async () => {
  ecs?.destroy();
  dynamodb?.destroy();
  seed?.destroy();
  await moto?.stop();
});

/** A fresh emulator account: the state table, the parameter, and one service reading it. */
async function resetAccount(): Promise<void> {
  await moto.reset();
  await createStateTable(dynamodb, 'state');
  await seed.putParameter(PARAMETER, 'first');
  await seed.createCluster(CLUSTER);
  const taskDefinition = await seed.registerTaskDefinition({
    family: 'api',
    containers: [{ name: 'api', secrets: [{ name: 'FLAG', valueFrom: PARAMETER }] }],
  });
  const serviceArn = await seed.createService({
    cluster: CLUSTER,
    name: 'api',
    taskDefinition,
    desiredCount: 2,
  });
  service = {
    serviceArn,
    serviceName: 'api',
    clusterArn: `arn:aws:ecs:us-east-1:${MOTO_ACCOUNT_ID}:cluster/${CLUSTER}`,
  };
}

beforeEach(resetAccount);

describe('without the flap guard', () => {
  it('gives a parameter updated every second for 29 s with no coalescing window 29 deployments', async () => {
    const { deployedAt } = await flap({ updates: 29, coalesceSeconds: 0, limit: null, runFor: 60 * SECOND });

    expect(deployedAt).toHaveLength(29);
  });

  it('gives a service whose parameter keeps changing a deployment every coalescing window while it changes', async () => {
    const { deployedAt } = await flap({
      updates: 120,
      coalesceSeconds: 10,
      limit: null,
      runFor: 150 * SECOND,
    });

    // A newer value replaces an older one that waits: the older one's message carries it, so a source that
    // changes faster than the window still reaches the service once a window, not only once it stops.
    expect(deployedAt[0]).toBeLessThanOrEqual(10 * SECOND);
    expect(deployedAt.filter((at) => at < 120 * SECOND).length).toBeGreaterThanOrEqual(10);
    for (const [index, at] of deployedAt.entries()) {
      if (index > 0) expect(at - (deployedAt[index - 1] ?? 0)).toBeLessThanOrEqual(11 * SECOND);
    }
  });
});

describe('the flap guard', () => {
  it('gives a parameter updated every second for 29 s at most 6 deployments, then exactly one more when the hour allows', async () => {
    const { reports, deployedAt, queue, state } = await flap({
      updates: 29,
      coalesceSeconds: 0,
      limit: 6,
      runFor: 2 * HOUR,
    });

    // Without the guard this was 29 deployments, one per update.
    expect(deployedAt.filter((at) => at < HOUR)).toHaveLength(6);
    expect(deployedAt.filter((at) => at >= HOUR)).toHaveLength(1);
    expect(deployedAt[6]).toBeLessThanOrEqual(HOUR + 900 * SECOND);
    expect(reports.map((report) => report.services[0]?.action)).toEqual([
      ...Array(6).fill('queued'),
      ...Array(23).fill('deferred'),
    ]);
    expect(reports[6]?.services[0]?.reason).toMatch(
      /^flap guard: 6 forced deployments in the last hour; the next from 2025-11-09T16:00:00.000Z$/,
    );
    expect(reports[6]?.summary).toMatchObject({ matched: 1, queued: 0, deferred: 1 });
    // Nothing dropped: every change is done, and no message is left.
    expect(queue.waiting).toEqual([]);
    for (const report of reports) {
      expect(await state.claim(service, report.changeKey ?? '', 'probe', 0)).toEqual({ state: 'done' });
    }
  });

  it('holds a parameter written every second for a minute, through a 5 s coalescing window, to 6 deployments and one more when the hour allows', async () => {
    const unguarded = await flap({ updates: 60, coalesceSeconds: 5, limit: null, runFor: 90 * SECOND });
    await resetAccount();
    const { deployedAt, queue } = await flap({ updates: 60, coalesceSeconds: 5, limit: 6, runFor: 2 * HOUR });

    // One deployment a window without the guard.
    expect(unguarded.deployedAt).toHaveLength(10);
    expect(deployedAt.filter((at) => at < HOUR)).toHaveLength(6);
    expect(deployedAt.filter((at) => at >= HOUR)).toHaveLength(1);
    expect(queue.waiting).toEqual([]);
  });

  it('keeps one message waiting for a held service, however many changes fold into it', async () => {
    const { deployedAt, queue } = await flap({
      updates: 20,
      coalesceSeconds: 0,
      limit: 2,
      runFor: 60 * SECOND,
    });

    expect(deployedAt).toEqual([0, 1 * SECOND]);
    expect(queue.waiting).toHaveLength(1);
    expect(queue.waiting[0]?.message.deferredUntil).toBe(queue.waiting[0]?.visibleAt);
  });
});

import { describe, expect, it } from 'vitest';
import { type QueueWorkerPorts, redeployQueueRecord } from '../../functions/app/redeploy-from-queue.ts';
import { LOG_MESSAGES } from '../../functions/contract.ts';
import type { Claim } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import { InMemoryLedger } from '../support/in-memory-ledger.ts';
import { service as serviceNamed, taskDefinitionArn } from '../support/in-memory-ports.ts';

const T0 = 1_800_000_000_000;
const service = {
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api',
  serviceName: 'api',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
};
const message: RedeployMessage = {
  service,
  changeKey: 'k1',
  change: {
    kind: 'ssm',
    arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/p',
    name: 'p',
    account: '123456789012',
    region: 'us-east-1',
    label: null,
    versionId: '2',
    trigger: 'Parameter Store Change',
  },
};

const record = (receiveCount: number, body: RedeployMessage = message) => ({
  messageId: 'm-1',
  receiptHandle: 'r-1',
  body: JSON.stringify(body),
  attributes: { ApproximateReceiveCount: String(receiveCount) },
});

function worker(redeploy: () => Promise<{ deploymentId: string | null }>) {
  const ledger = new InMemoryLedger();
  const scheduled: [string, number][] = [];
  const settled: string[] = [];
  const warnings: string[] = [];
  const ports: QueueWorkerPorts = {
    pending: {
      add: async () => {},
      claim: async (): Promise<Claim> => ({ state: 'claimed', changeKeys: ['k0', 'k1'] }),
      complete: async () => {},
      release: async () => {},
    },
    redeployer: { redeploy },
    // The service as ECS has it now, not opted out.
    services: {
      current: async (ref) => ({
        ...serviceNamed(ref.serviceName, taskDefinitionArn(ref.serviceName)),
        serviceArn: ref.serviceArn,
        clusterArn: ref.clusterArn,
      }),
    },
    retryDelay: { delay: async () => {} },
    requeue: { send: async () => {} },
    telemetry: {
      info: () => {},
      warn: (text) => void warnings.push(text),
      error: () => {},
      count: () => {},
      seconds: () => {},
    },
    tracking: {
      ledger,
      checks: {
        schedule: async (id, delay) => void scheduled.push([id, delay]),
        settleChange: async (key) => void settled.push(key),
        watchChange: async () => {},
      },
      timeoutMs: 3_600_000,
    },
  };
  return { ports, ledger, scheduled, settled, warnings };
}

const options = { maxReceiveCount: 3, visibilityTimeoutSeconds: 60, dryRun: false };

describe('the worker follows the deployments it starts', () => {
  it('records the deployment with every change it carries, and schedules its first delayed check', async () => {
    const w = worker(async () => ({ deploymentId: 'ecs-svc/42' }));

    await redeployQueueRecord(record(1), w.ports, options, { now: () => T0 });

    expect(await w.ledger.tracked('ecs-svc/42')).toEqual({
      started: { service, deploymentId: 'ecs-svc/42', via: 'ecs', startedAt: T0 },
      changeKeys: ['k0', 'k1'],
      deadline: T0 + 3_600_000,
    });
    expect((await w.ledger.ledger('k0'))?.entries.map((e) => e.state)).toEqual(['in-progress']);
    expect(w.scheduled).toEqual([['ecs-svc/42', 300]]);
  });

  it('records a service that could not be redeployed on its last attempt as failed, and asks for its change to settle', async () => {
    const w = worker(async () => {
      throw new Error('AccessDeniedException: not authorized to perform ecs:UpdateService');
    });
    await w.ledger.expect('k1', message.change, [service], T0, T0 + 3_600_000);

    await expect(redeployQueueRecord(record(3), w.ports, options, { now: () => T0 })).rejects.toThrow();

    const entry = (await w.ledger.ledger('k1'))?.entries[0];
    expect(entry?.state).toBe('failed');
    expect(entry?.reason).toContain('not redeployed: ');
    expect(entry?.reason).toContain('AccessDeniedException');
    expect(w.settled).toEqual(['k1']);
  });

  it('leaves the ledger alone on an attempt that will be retried', async () => {
    const w = worker(async () => {
      throw new Error('ServerException');
    });
    await w.ledger.expect('k1', message.change, [service], T0, T0 + 3_600_000);

    await expect(redeployQueueRecord(record(1), w.ports, options, { now: () => T0 })).rejects.toThrow();

    expect((await w.ledger.ledger('k1'))?.entries[0]?.state).toBe('pending');
    expect(w.settled).toEqual([]);
  });

  it('says so when it cannot record a deployment it started, and does not fail the message', async () => {
    const w = worker(async () => ({ deploymentId: 'ecs-svc/42' }));
    w.ledger.recordStart = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    await redeployQueueRecord(record(1), w.ports, options, { now: () => T0 });

    expect(w.warnings).toEqual([LOG_MESSAGES.rolloutNotTracked]);
  });

  it('follows a CodeDeploy deployment through CodeDeploy, keeping the service without its group', async () => {
    // Prepare
    const w = worker(async () => ({ deploymentId: 'd-ABCDEF123' }));
    const codeDeployGroup = {
      applicationName: 'app',
      deploymentGroupName: 'api-group',
      deploymentConfigName: null,
    };

    // Act
    await redeployQueueRecord(
      record(1, { ...message, service: { ...service, codeDeployGroup } }),
      w.ports,
      options,
      {
        now: () => T0,
      },
    );

    // Assess
    expect((await w.ledger.tracked('d-ABCDEF123'))?.started).toEqual({
      service,
      deploymentId: 'd-ABCDEF123',
      via: 'codedeploy',
      startedAt: T0,
    });
  });

  it('reports a deployment ECS did not name timed-out at once, saying why, and asks for its changes to settle', async () => {
    // Prepare
    const w = worker(async () => ({ deploymentId: null }));
    await w.ledger.expect('k1', message.change, [service], T0, T0 + 3_600_000);

    // Act
    await redeployQueueRecord(record(1), w.ports, options, { now: () => T0 });

    // Assess: nothing to look at later; k0 has no ledger here (expired), k1 settles.
    expect(w.ledger.deployments.size).toBe(0);
    expect(w.scheduled).toEqual([]);
    expect((await w.ledger.ledger('k1'))?.entries).toEqual([
      {
        service,
        deploymentId: null,
        state: 'timed-out',
        reason: 'ECS did not name the deployment it started, so its end could not be followed',
        endedAt: null,
      },
    ]);
    expect(w.settled).toEqual(['k1']);
  });
});

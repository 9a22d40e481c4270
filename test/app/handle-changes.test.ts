import { describe, expect, it } from 'vitest';
import { type ChangeResult, redeployForChanges } from '../../functions/app/handle-changes.ts';
import { type ParsedEvent, parseEvent } from '../../functions/core/change.ts';
import type { OncePerKey } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import type { Report } from '../../functions/core/report.ts';
import { inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const PARAMETER_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-url';

function secretRotated(label = 'AWSCURRENT', id = 'e-1'): ParsedEvent {
  return parseEvent({
    id,
    source: 'aws.secretsmanager',
    'detail-type': 'Secret Label Updated',
    account: '123456789012',
    region: 'us-east-1',
    resources: [SECRET_ARN],
    detail: { name: 'prod/db-password', labelUpdated: label, versionId: 'v-2' },
  });
}

function parameterUpdated(id = 'e-2'): ParsedEvent {
  return parseEvent({
    id,
    source: 'aws.ssm',
    'detail-type': 'Parameter Store Change',
    account: '123456789012',
    region: 'us-east-1',
    resources: [PARAMETER_ARN],
    detail: { operation: 'Update', name: '/prod/api-url', type: 'String' },
  });
}

const TD = {
  secret: taskDefinitionArn('secret'),
  parameter: taskDefinitionArn('parameter'),
  both: taskDefinitionArn('both'),
  pinnedAndParameter: taskDefinitionArn('pinned-and-parameter'),
  neither: taskDefinitionArn('neither'),
};

const container = (name: string, ...valueFroms: string[]) => ({
  name,
  secrets: valueFroms.map((valueFrom, index) => ({ name: `V${index}`, valueFrom })),
});

const taskDefinitions = {
  [TD.secret]: { containerDefinitions: [container('app', SECRET_ARN)] },
  [TD.parameter]: { containerDefinitions: [container('app', '/prod/api-url')] },
  [TD.both]: { containerDefinitions: [container('app', SECRET_ARN), container('sidecar', PARAMETER_ARN)] },
  [TD.pinnedAndParameter]: {
    containerDefinitions: [container('app', `${SECRET_ARN}:::v-1`, '/prod/api-url')],
  },
  [TD.neither]: { containerDefinitions: [container('app', '/prod/other')] },
};

const account = () =>
  inMemoryPorts({
    services: [
      service('db-only', TD.secret),
      service('url-only', TD.parameter),
      service('both', TD.both),
      service('pinned', TD.pinnedAndParameter),
      service('bystander', TD.neither),
    ],
    taskDefinitions,
  });

const options = { dryRun: false, concurrency: 4 };

function reportsOf(results: readonly ChangeResult[]): Report[] {
  return results.map((result) => {
    if ('error' in result) throw result.error;
    return result.report;
  });
}

const byName = (report: Report | undefined, name: string) =>
  report?.services.find((entry) => entry.serviceName === name);

describe('redeployForChanges', () => {
  it('scans once for all the changes, reading each task definition once', async () => {
    const { ports, calls } = account();

    const reports = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], ports, options),
    );

    expect(calls.inventoryWalks).toBe(1);
    expect(calls.taskDefinitionReads.sort()).toEqual(Object.values(TD).sort());
    for (const report of reports) {
      expect(report.scanned).toEqual({ clusters: 1, services: 5, taskDefinitions: 5 });
    }
  });

  it('gives a service that reads two of the changed items one UpdateService, the second change riding on it', async () => {
    const { ports, calls } = account();

    const [secret, parameter] = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], ports, options),
    );

    expect(calls.redeployed.filter((name) => name === 'both')).toEqual(['both']);
    expect(calls.redeployed.sort()).toEqual(['both', 'db-only', 'pinned', 'url-only']);
    const owned = byName(secret, 'both');
    const rode = byName(parameter, 'both');
    expect(owned).toMatchObject({ action: 'redeployed' });
    expect(owned?.rodeOn).toBeUndefined();
    expect(rode).toMatchObject({
      action: 'redeployed',
      deploymentId: owned?.deploymentId,
      rodeOn: secret?.changeKey,
    });
    expect(rode?.detail).toContain(SECRET_ARN);
    // The reports add up to the UpdateService calls made: 2 + 2 redeployed, 1 rode on another's deployment.
    expect(secret?.summary).toEqual({
      matched: 3,
      redeployed: 2,
      wouldRedeploy: 0,
      queued: 0,
      deferred: 0,
      skipped: 1,
      failed: 0,
    });
    expect(parameter?.summary).toEqual({
      matched: 3,
      redeployed: 2,
      wouldRedeploy: 0,
      queued: 0,
      deferred: 0,
      skipped: 0,
      failed: 0,
      rodeOn: 1,
    });
  });

  it('decides per change: a service pinned to one item and reading the other is redeployed for the other only', async () => {
    const { ports } = account();

    const [secret, parameter] = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], ports, options),
    );

    expect(byName(secret, 'pinned')).toMatchObject({ action: 'skipped', reason: 'pinned-version' });
    expect(byName(parameter, 'pinned')).toMatchObject({ action: 'redeployed' });
    expect(byName(parameter, 'pinned')?.rodeOn).toBeUndefined();
  });

  it('reports one result per event in the order given, ignored events in their place', async () => {
    const { ports } = account();

    const reports = reportsOf(
      await redeployForChanges(
        [parameterUpdated(), secretRotated('AWSPENDING', 'e-3'), secretRotated()],
        ports,
        options,
      ),
    );

    expect(reports.map((report) => [report.change.kind, report.ignored])).toEqual([
      ['ssm', null],
      ['secretsmanager', 'pending-version-only'],
      ['secretsmanager', null],
    ]);
    // The parameter came first: its deployment is the one the secret's change rides on.
    expect(byName(reports[2], 'both')?.rodeOn).toBe(reports[0]?.changeKey);
  });

  it('collapses repeats of one change: one scan, one UpdateService, the repeat already handled', async () => {
    const { ports, calls } = account();

    const [first, repeat] = reportsOf(
      await redeployForChanges(
        [secretRotated('AWSCURRENT', 'e-1'), secretRotated('AWSCURRENT', 'e-1')],
        ports,
        options,
      ),
    );

    expect(calls.redeployed.sort()).toEqual(['both', 'db-only']);
    expect(first?.ignored).toBeNull();
    expect(repeat).toMatchObject({ ignored: 'already-handled', changeKey: first?.changeKey, services: [] });
  });

  it('plans one deployment per service in a dry run, the second change riding on it', async () => {
    const { ports, calls } = account();

    const [secret, parameter] = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], ports, { ...options, dryRun: true }),
    );

    expect(calls.redeployed).toEqual([]);
    expect(byName(secret, 'both')).toMatchObject({ action: 'would-redeploy', deploymentId: null });
    expect(byName(parameter, 'both')).toMatchObject({ action: 'would-redeploy', rodeOn: secret?.changeKey });
    expect(parameter?.summary).toMatchObject({ wouldRedeploy: 2, rodeOn: 1 });
  });

  it('reports a service whose one UpdateService failed as failed under every change it carried', async () => {
    const denied = new Error('not allowed');
    denied.name = 'AccessDeniedException';
    const { ports } = inMemoryPorts({
      services: [service('both', TD.both)],
      taskDefinitions,
      failing: { both: denied },
    });

    const reports = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], ports, options),
    );

    for (const report of reports) {
      expect(report.services).toMatchObject([
        {
          serviceName: 'both',
          action: 'failed',
          reason: 'AccessDeniedException: not allowed',
          deploymentId: null,
        },
      ]);
      expect(report.services[0]?.rodeOn).toBeUndefined();
      expect(report.summary.failed).toBe(1);
    }
  });

  it('queues one message per service and change, which the worker folds into one deployment', async () => {
    const { ports } = account();
    const sent: RedeployMessage[] = [];
    const queued = {
      ...ports,
      delivery: {
        kind: 'queued' as const,
        pending: { add: async () => {} },
        queue: { send: async (messages: readonly RedeployMessage[]) => void sent.push(...messages) },
        coalesceSeconds: 60,
      },
    };

    const [secret, parameter] = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], queued, options),
    );

    const forBoth = sent.filter((message) => message.service.serviceName === 'both');
    expect(forBoth.map((message) => message.changeKey)).toEqual([secret?.changeKey, parameter?.changeKey]);
    expect(byName(parameter, 'both')).toMatchObject({ action: 'queued' });
    expect(sent).toHaveLength(5);
  });
});

describe('redeployForChanges once per change key', () => {
  /** Remembers finished keys; a key in `busy` is held by another run, so its claim fails. */
  function memoryOnce(busy: readonly string[] = []) {
    const stored = new Map<string, object>();
    const once: OncePerKey = {
      async run(key, work) {
        if (busy.some((prefix) => key.startsWith(prefix))) {
          const error = new Error(`${key} is in progress elsewhere`);
          error.name = 'IdempotencyAlreadyInProgressError';
          throw error;
        }
        const previous = stored.get(key);
        if (previous !== undefined) return { result: previous as never, duplicate: true };
        const result = await work();
        stored.set(key, result);
        return { result, duplicate: false };
      },
    };
    return once;
  }

  it('scans only for the changes not handled yet, and says the others were', async () => {
    const { ports, calls } = account();
    const once = memoryOnce();
    await redeployForChanges([secretRotated()], { ...ports, once }, options);
    calls.redeployed.length = 0;

    const [secret, parameter] = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], { ...ports, once }, options),
    );

    expect(secret?.ignored).toBe('already-handled');
    expect(parameter?.ignored).toBeNull();
    expect(calls.redeployed.sort()).toEqual(['both', 'pinned', 'url-only']);
    expect(byName(parameter, 'both')?.rodeOn).toBeUndefined();
    expect(calls.inventoryWalks).toBe(2);
  });

  it('fails only the change whose key another run holds; the others are handled', async () => {
    const { ports, calls } = account();

    const [secret, parameter] = await redeployForChanges(
      [secretRotated(), parameterUpdated()],
      { ...ports, once: memoryOnce([SECRET_ARN]) },
      options,
    );

    expect(secret).toMatchObject({ error: { name: 'IdempotencyAlreadyInProgressError' } });
    expect(parameter).toMatchObject({ report: { ignored: null } });
    expect(calls.redeployed.sort()).toEqual(['both', 'pinned', 'url-only']);
  });

  it('fails every change of a scan that failed, and remembers none as handled', async () => {
    const { ports } = account();
    const once = memoryOnce();
    const broken = {
      ...ports,
      inventory: {
        clustersScanned: 0,
        // biome-ignore lint/correctness/useYield: an inventory whose first page cannot be read.
        async *services() {
          throw new Error('ListClusters failed');
        },
      },
    };

    const results = await redeployForChanges(
      [secretRotated(), parameterUpdated()],
      { ...broken, once },
      options,
    );
    const retried = reportsOf(
      await redeployForChanges([secretRotated(), parameterUpdated()], { ...ports, once }, options),
    );

    expect(results).toMatchObject([
      { error: { message: 'ListClusters failed' } },
      { error: { message: 'ListClusters failed' } },
    ]);
    expect(retried.map((report) => report.ignored)).toEqual([null, null]);
  });
});

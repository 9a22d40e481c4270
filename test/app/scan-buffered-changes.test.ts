import { describe, expect, it } from 'vitest';
import { scanBufferedChanges } from '../../functions/app/scan-buffered-changes.ts';
import { bufferedChangeBody } from '../../functions/core/change-message.ts';
import type { LogFields, OncePerKey, Telemetry } from '../../functions/core/ports.ts';
import type { Report } from '../../functions/core/report.ts';
import { inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const TD = taskDefinitionArn('app');

const rotated = (id: string, versionId: string) => ({
  id,
  source: 'aws.secretsmanager',
  'detail-type': 'Secret Label Updated',
  account: '123456789012',
  region: 'us-east-1',
  resources: [SECRET_ARN],
  detail: { name: 'prod/db-password', labelUpdated: 'AWSCURRENT', versionId },
});
const parameter = {
  id: 'p-1',
  source: 'aws.ssm',
  'detail-type': 'Parameter Store Change',
  account: '123456789012',
  region: 'us-east-1',
  resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-url'],
  detail: { operation: 'Update', name: '/prod/api-url' },
};

function recordingTelemetry() {
  const lines: { level: string; message: string; fields: LogFields }[] = [];
  const telemetry: Telemetry = {
    info: (message, fields) => void lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => void lines.push({ level: 'error', message, fields }),
    count: () => {},
    seconds: () => {},
  };
  const reports = () =>
    lines.filter((line) => line.message === 'redeploy report').map((line) => line.fields.report as Report);
  return { telemetry, lines, reports };
}

const setUp = () =>
  inMemoryPorts({
    services: [service('app', TD)],
    taskDefinitions: {
      [TD]: {
        containerDefinitions: [
          {
            name: 'app',
            secrets: [{ valueFrom: SECRET_ARN }, { valueFrom: '/prod/api-url' }],
          },
        ],
      },
    },
  });
const options = { dryRun: false, concurrency: 4 };
const now = { now: () => Date.now() };

describe('scanBufferedChanges', () => {
  it('scans once for the batch, keys each change by the metadata read before the buffer, and reports each', async () => {
    const { ports, calls } = setUp();
    const { telemetry, reports } = recordingTelemetry();

    const answer = await scanBufferedChanges(
      [
        {
          messageId: 'm-1',
          body: bufferedChangeBody({ event: rotated('e-1', 'v-1'), current: { version: 'v-9' } }),
        },
        { messageId: 'm-2', body: bufferedChangeBody({ event: parameter, current: { version: '4' } }) },
      ],
      ports,
      options,
      telemetry,
      now,
    );

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls.inventoryWalks).toBe(1);
    expect(calls.redeployed).toEqual(['app']);
    expect(reports().map((report) => report.changeKey)).toEqual([
      `${SECRET_ARN}|AWSCURRENT|v-9`,
      'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-url|4',
    ]);
  });

  it('names back only the messages it could not handle: one that does not parse, one whose key another run holds', async () => {
    const { ports, calls } = setUp();
    const { telemetry, lines, reports } = recordingTelemetry();
    const once: OncePerKey = {
      async run(key, work) {
        if (key.startsWith(SECRET_ARN)) throw new Error(`${key} is in progress elsewhere`);
        return { result: await work(), duplicate: false };
      },
    };

    const answer = await scanBufferedChanges(
      [
        { messageId: 'm-1', body: bufferedChangeBody({ event: rotated('e-1', 'v-1'), current: null }) },
        { messageId: 'm-2', body: '{"event": {"source": "aws.ec2"}, "current": null}' },
        { messageId: 'm-3', body: bufferedChangeBody({ event: parameter, current: null }) },
      ],
      { ...ports, once },
      options,
      telemetry,
      now,
    );

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-1' }] });
    expect(reports().map((report) => report.change.kind)).toEqual(['ssm']);
    expect(calls.redeployed).toEqual(['app']);
    expect(
      lines.filter((line) => line.level === 'error').map((line) => [line.message, line.fields.messageId]),
    ).toEqual([
      ['event refused', 'm-2'],
      ['run failed, to be retried', 'm-1'],
    ]);
  });

  it('names back every message when the scan of a dry run fails', async () => {
    const { ports } = setUp();
    const { telemetry, reports } = recordingTelemetry();
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

    const answer = await scanBufferedChanges(
      [
        { messageId: 'm-1', body: bufferedChangeBody({ event: rotated('e-1', 'v-1'), current: null }) },
        { messageId: 'm-2', body: bufferedChangeBody({ event: parameter, current: null }) },
      ],
      broken,
      { ...options, dryRun: true },
      telemetry,
      now,
    );

    expect(answer.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m-1', 'm-2']);
    expect(reports()).toEqual([]);
  });
});

/** The event path keeps the label moves it sees, so a later audit can use their exact times. */
import { describe, expect, it } from 'vitest';
import { redeployForChange } from '../../functions/app/handle-change.ts';
import { parseEvent } from '../../functions/core/change.ts';
import type { MoveTimes } from '../../functions/core/ports.ts';
import type { MoveRecord } from '../../functions/core/staleness.ts';
import { ACCOUNT, inMemoryPorts } from '../support/in-memory-ports.ts';

const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
const event = parseEvent({
  id: 'e-1',
  time: '2025-01-01T10:30:00Z',
  source: 'aws.secretsmanager',
  'detail-type': 'Secret Label Updated',
  account: ACCOUNT,
  region: 'us-east-1',
  resources: [SECRET],
  detail: { name: 'prod/db', labelUpdated: 'AWSCURRENT', versionId: 'v-2' },
});

function recorder(failing = false) {
  const kept: MoveRecord[] = [];
  const moves: MoveTimes = {
    async record(move) {
      if (failing) throw new Error('table unavailable');
      kept.push(move);
    },
    getMany: async () => new Map(),
  };
  return { moves, kept };
}

describe('redeployForChange and move times', () => {
  it('keeps the move of the label to the version it points to now, under the change key', async () => {
    const { ports } = inMemoryPorts({ services: [], taskDefinitions: {} });
    const { moves, kept } = recorder();

    const report = await redeployForChange(
      event,
      { ...ports, moves, changeVersions: { currentVersion: async () => ({ version: 'v-2', arn: SECRET }) } },
      { dryRun: false, concurrency: 2 },
    );

    expect(kept).toEqual([
      {
        key: `${SECRET}|AWSCURRENT`,
        version: 'v-2',
        at: Date.parse('2025-01-01T10:30:00Z'),
        changeKey: report.changeKey,
      },
    ]);
  });

  it('keeps nothing for a late event of a value the label has left', async () => {
    const { ports } = inMemoryPorts({ services: [], taskDefinitions: {} });
    const { moves, kept } = recorder();

    await redeployForChange(
      event,
      { ...ports, moves, changeVersions: { currentVersion: async () => ({ version: 'v-3', arn: SECRET }) } },
      { dryRun: false, concurrency: 2 },
    );

    expect(kept).toEqual([]);
  });

  it('still handles the change when the move cannot be kept', async () => {
    const { ports } = inMemoryPorts({ services: [], taskDefinitions: {} });
    const { moves } = recorder(true);

    const report = await redeployForChange(
      event,
      { ...ports, moves, changeVersions: { currentVersion: async () => ({ version: 'v-2', arn: SECRET }) } },
      { dryRun: false, concurrency: 2 },
    );

    expect(report.ignored).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { type AuditPorts, audit } from '../../functions/app/audit.ts';
import { parseEvent } from '../../functions/core/change.ts';
import { changeKey } from '../../functions/core/change-key.ts';
import type { ItemMetadataReader } from '../../functions/core/ports.ts';
import type { RedeployMessage } from '../../functions/core/queue-message.ts';
import {
  type ItemMetadata,
  type ItemQuery,
  type MetadataAnswer,
  type MoveRecord,
  moveKey,
  queryKey,
} from '../../functions/core/staleness.ts';
import { ACCOUNT, inMemoryPorts, service, taskDefinitionArn } from '../support/in-memory-ports.ts';

const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
const PARTIAL = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db`;
const API_KEY = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/api-key-QwErTy`;
const PARAMETER = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod/url`;
const FOREIGN_PARAMETER = 'arn:aws:ssm:us-east-1:999999999999:parameter/shared/url';
const at = (iso: string) => Date.parse(iso);
/** Values changed at 10:00; services deployed at 09:00 are behind, those deployed at 11:00 are not. */
const BEFORE = at('2025-01-01T09:00:00Z');
const AFTER = at('2025-01-01T11:00:00Z');

const METADATA: Record<string, ItemMetadata> = {
  'prod/db': {
    kind: 'secretsmanager',
    arn: SECRET,
    name: 'prod/db',
    versions: [
      { versionId: 'v-1', stages: ['AWSPREVIOUS'], createdAt: at('2024-12-01T00:00:00Z') },
      { versionId: 'v-2', stages: ['AWSCURRENT'], createdAt: at('2025-01-01T10:00:00Z') },
    ],
  },
  'prod/api-key': {
    kind: 'secretsmanager',
    arn: API_KEY,
    name: 'prod/api-key',
    versions: [{ versionId: 'k-1', stages: ['AWSCURRENT'], createdAt: at('2024-06-01T00:00:00Z') }],
  },
  'prod/url': {
    kind: 'ssm',
    arn: PARAMETER,
    name: '/prod/url',
    version: '7',
    lastModifiedAt: at('2025-01-01T10:00:00Z'),
  },
};

/** Answers from METADATA by name; records every query it was asked. */
function metadataReader(failing: Record<string, string> = {}) {
  const asked: ItemQuery[] = [];
  const reader: ItemMetadataReader = {
    async read(queries) {
      asked.push(...queries);
      const answers = new Map<string, MetadataAnswer>();
      for (const query of queries) {
        const id = query.kind === 'ssm' ? query.name : query.secretId;
        const name = query.kind === 'ssm' ? id : id.replace(/-[A-Za-z0-9]{6}$/, '');
        const failure = failing[name];
        const found = METADATA[name];
        answers.set(
          queryKey(query),
          failure !== undefined
            ? { error: failure }
            : found === undefined
              ? { error: `ResourceNotFoundException: ${id}` }
              : { ok: found },
        );
      }
      return answers;
    },
  };
  return { reader, asked };
}

const container = (...valueFroms: string[]) => ({
  containerDefinitions: valueFroms.map((valueFrom, index) => ({
    name: `c${index}`,
    secrets: [{ name: `S${index}`, valueFrom }],
  })),
});

const TD = {
  db: taskDefinitionArn('db'),
  dbPartial: taskDefinitionArn('db-partial'),
  pinned: taskDefinitionArn('pinned'),
  url: taskDefinitionArn('url'),
  apiKey: taskDefinitionArn('api-key'),
  foreign: taskDefinitionArn('foreign'),
  missing: taskDefinitionArn('missing'),
};
const TASK_DEFINITIONS = {
  [TD.db]: container(SECRET),
  [TD.dbPartial]: container(`${PARTIAL}:password::`, `${PARTIAL}::AWSPREVIOUS:`),
  [TD.pinned]: container(`${PARTIAL}:::v-1`),
  [TD.url]: container('/prod/url'),
  [TD.apiKey]: container(API_KEY),
  [TD.foreign]: container(FOREIGN_PARAMETER),
};

function setUp(overrides: Partial<AuditPorts> = {}, failing: Record<string, string> = {}) {
  const { ports, calls } = inMemoryPorts({
    services: [
      service('db-old', TD.db, { deployedAt: BEFORE }),
      service('db-new', TD.db, { deployedAt: AFTER }),
      service('partial-old', TD.dbPartial, { deployedAt: BEFORE }),
      service('pinned-old', TD.pinned, { deployedAt: BEFORE }),
      service('url-old', TD.url, { deployedAt: BEFORE }),
      service('api-key-old', TD.apiKey, { deployedAt: BEFORE }),
      service('opted-out-old', TD.db, { deployedAt: BEFORE, tags: { 'rotation-redeploy': 'off' } }),
      service('foreign-old', TD.foreign, { deployedAt: BEFORE }),
      service('broken', TD.missing, { deployedAt: BEFORE }),
    ],
    taskDefinitions: TASK_DEFINITIONS,
    failing: { 'url-old': Object.assign(new Error('denied'), { name: 'AccessDeniedException' }) },
  });
  const metadata = metadataReader(failing);
  return {
    ports: { ...ports, metadata: metadata.reader, ...overrides } as AuditPorts,
    calls,
    asked: metadata.asked,
  };
}

const actions = (report: Awaited<ReturnType<typeof audit>>) =>
  Object.fromEntries(report.services.map((entry) => [entry.serviceName, [entry.action, entry.reason]]));

describe('audit', () => {
  it('lists exactly the services deployed before a value they read became current', async () => {
    const { ports } = setUp();

    const report = await audit(ports, { fix: false, concurrency: 4 });

    expect(actions(report)).toEqual({
      'db-old': ['would-redeploy', null],
      'partial-old': ['would-redeploy', null],
      'url-old': ['would-redeploy', null],
      'opted-out-old': ['skipped', 'opted-out'],
      'foreign-old': [
        'failed',
        `cannot tell when the value it reads became current (${FOREIGN_PARAMETER}: DescribeParameters answers only for account ${ACCOUNT}, not 999999999999)`,
      ],
      broken: [
        'failed',
        `task definition unreadable: ClientException: Unable to describe task definition ${TD.missing}`,
      ],
    });
    expect(report).toMatchObject({ change: null, ignored: null, dryRun: true });
  });

  it('says what each stale service is behind on, and when it was deployed', async () => {
    const { ports } = setUp();

    const report = await audit(ports, { fix: false, concurrency: 4 });

    expect(report.services.find((entry) => entry.serviceName === 'partial-old')?.stale).toEqual([
      {
        arn: SECRET,
        name: 'prod/db',
        kind: 'secretsmanager',
        label: 'AWSCURRENT',
        changedAt: '2025-01-01T10:00:00.000Z',
        deployedAt: '2025-01-01T09:00:00.000Z',
      },
    ]);
    expect(report.services.find((entry) => entry.serviceName === 'url-old')?.stale).toEqual([
      {
        arn: PARAMETER,
        name: '/prod/url',
        kind: 'ssm',
        label: null,
        changedAt: '2025-01-01T10:00:00.000Z',
        deployedAt: '2025-01-01T09:00:00.000Z',
      },
    ]);
  });

  it('reads each distinct item once, a partial id from the full one, and never another account’s parameter', async () => {
    const { ports, asked } = setUp();

    const report = await audit(ports, { fix: false, concurrency: 4 });

    expect(asked.map(queryKey).sort()).toEqual(
      [
        `secretsmanager|aws|us-east-1|${ACCOUNT}|prod/db-AbCdEf`,
        `secretsmanager|aws|us-east-1|${ACCOUNT}|prod/api-key-QwErTy`,
        `ssm|aws|us-east-1|${ACCOUNT}|prod/url`,
      ].sort(),
    );
    // The foreign parameter cannot be dated: its service is reported, not silently passed over.
    expect(report.scanned.items).toBe(5);
  });

  it('redeploys the stale services with fix, and reports one that could not be redeployed as failed', async () => {
    const { ports, calls } = setUp();

    const report = await audit(ports, { fix: true, concurrency: 4 });

    expect(calls.redeployed.sort()).toEqual(['db-old', 'partial-old']);
    expect(actions(report)).toMatchObject({
      'db-old': ['redeployed', null],
      'partial-old': ['redeployed', null],
      'url-old': ['failed', 'AccessDeniedException: denied'],
      'opted-out-old': ['skipped', 'opted-out'],
    });
    expect(report.summary).toEqual({
      matched: 6,
      redeployed: 2,
      wouldRedeploy: 0,
      queued: 0,
      deferred: 0,
      skipped: 1,
      failed: 3,
      stale: 3,
    });
    expect(report.dryRun).toBe(false);
  });

  it('queues one message per stale value, keyed as the event path keys that change', async () => {
    const sent: RedeployMessage[] = [];
    const { ports } = setUp({
      delivery: {
        kind: 'queued',
        coalesceSeconds: 60,
        pending: { add: async () => {} },
        queue: { send: async (messages) => void sent.push(...messages) },
      },
    });
    const event = parseEvent({
      source: 'aws.secretsmanager',
      'detail-type': 'Secret Label Updated',
      account: ACCOUNT,
      region: 'us-east-1',
      resources: [SECRET],
      detail: { name: 'prod/db', labelUpdated: 'AWSCURRENT', versionId: 'v-2' },
    });

    const report = await audit(ports, { fix: true, concurrency: 4 });

    expect(sent.map((message) => [message.service.serviceName, message.changeKey]).sort()).toEqual([
      ['db-old', changeKey(event.change, 'v-2', 'unused')],
      ['partial-old', changeKey(event.change, 'v-2', 'unused')],
      ['url-old', `${PARAMETER}|7`],
    ]);
    expect(sent[0]?.change).toMatchObject({ trigger: 'audit', account: ACCOUNT, region: 'us-east-1' });
    expect(report.summary.queued).toBe(3);
  });

  it('reports a service whose value cannot be dated as failed, naming the item and why', async () => {
    const { ports } = setUp({}, { 'prod/api-key': 'AccessDeniedException: not allowed' });
    const api = (await audit(ports, { fix: false, concurrency: 4 })).services.find(
      (entry) => entry.serviceName === 'api-key-old',
    );

    expect(api).toMatchObject({
      action: 'failed',
      reason: `cannot tell when the value it reads became current (${API_KEY}: AccessDeniedException: not allowed)`,
      stale: [],
    });
  });

  it('prefers a move time an event reported: a service deployed between creation and move is behind', async () => {
    const record: MoveRecord = {
      key: moveKey({ kind: 'secretsmanager', arn: API_KEY }, 'AWSCURRENT'),
      version: 'k-1',
      at: at('2025-01-01T10:00:00Z'),
      changeKey: `${API_KEY}|AWSCURRENT|k-1`,
    };
    const asked: string[][] = [];
    const { ports } = setUp({
      moves: {
        record: async () => {},
        getMany: async (keys) => {
          asked.push([...keys]);
          return new Map(keys.includes(record.key) ? [[record.key, record]] : []);
        },
      },
    });

    const report = await audit(ports, { fix: false, concurrency: 4 });

    expect(actions(report)['api-key-old']).toEqual(['would-redeploy', null]);
    expect(asked).toHaveLength(1);
  });

  it('lists nothing when every service is current', async () => {
    const { ports: all } = setUp();
    const ports: AuditPorts = {
      ...all,
      inventory: {
        clustersScanned: 1,
        async *services() {
          yield service('db-new', TD.db, { deployedAt: AFTER });
          yield service('pinned-old', TD.pinned, { deployedAt: BEFORE });
        },
      },
    };

    const report = await audit(ports, { fix: true, concurrency: 4 });

    expect(report.services).toEqual([]);
    expect(report.summary).toMatchObject({ matched: 0, stale: 0, redeployed: 0 });
  });
});

/**
 * The deployments the tool started and the ledger of each change, in the state table (keyed by `id`, with
 * `expiration` in epoch seconds as TTL):
 * - `deployment#ID`: a deployment the tool started: its service, how, when, the change keys it carries (at
 *   most 99, as the worker claims them) and its deadline; kept a day past the deadline;
 * - `ledger#KEY`: the change, when it was handled, its deadline, one attribute `s#SERVICE_ARN` per service
 *   with its state, and `settledAt` once settled; kept a week past the deadline.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { chunks } from '../core/chunks.ts';
import type { RolloutLedger, TrackedDeployment } from '../core/ports.ts';
import type { ReportedChange } from '../core/report.ts';
import type { DeploymentVia } from '../core/rollout.ts';
import type { ServiceRef } from '../core/service.ts';
import type { Ledger, LedgerEntry } from '../core/settled-report.ts';

const DAY_SECONDS = 24 * 3600;
/** Services set as pending per UpdateItem: an update expression may be at most 4 KB long. */
const EXPECT_PER_UPDATE = 10;
const ENTRY_PREFIX = 's#';
/** The states an entry may still leave; an ended entry is never overwritten. */
const OPEN_STATES = { ':pending': 'pending', ':running': 'in-progress' } as const;
const STILL_OPEN = '(attribute_not_exists(#entry) OR #entry.#state IN (:pending, :running))';

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

export class DynamoRolloutLedger implements RolloutLedger {
  readonly #db: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.#db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async expect(
    changeKey: string,
    change: ReportedChange,
    services: readonly ServiceRef[],
    changeSeenAt: number,
    deadline: number,
  ): Promise<void> {
    for (const batch of chunks(services, EXPECT_PER_UPDATE)) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {
        ':change': change,
        ':seen': changeSeenAt,
        ':deadline': deadline,
        ':expiration': epochSeconds(deadline) + 7 * DAY_SECONDS,
      };
      const sets = batch.map((service, index) => {
        names[`#s${index}`] = `${ENTRY_PREFIX}${service.serviceArn}`;
        values[`:s${index}`] = entryItem({
          service,
          deploymentId: null,
          state: 'pending',
          reason: null,
          endedAt: null,
        });
        return `#s${index} = if_not_exists(#s${index}, :s${index})`;
      });
      await this.#db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: `ledger#${changeKey}` },
          UpdateExpression: `SET change = :change, changeSeenAt = if_not_exists(changeSeenAt, :seen), deadline = if_not_exists(deadline, :deadline), expiration = :expiration, ${sets.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    }
  }

  async recordStart(deployment: TrackedDeployment): Promise<void> {
    const { started, changeKeys, deadline } = deployment;
    await this.#db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          id: `deployment#${started.deploymentId}`,
          service: started.service,
          via: started.via,
          startedAt: started.startedAt,
          changeKeys: [...changeKeys],
          deadline,
          expiration: epochSeconds(deadline) + DAY_SECONDS,
        },
      }),
    );
    for (const changeKey of changeKeys) {
      await this.#setEntry(
        changeKey,
        {
          service: started.service,
          deploymentId: started.deploymentId,
          state: 'in-progress',
          reason: null,
          endedAt: null,
        },
        {
          // A key carried by coalescing whose own message has not come yet gets its ledger here.
          extra:
            ', deadline = if_not_exists(deadline, :deadline), expiration = if_not_exists(expiration, :expiration)',
          values: { ':deadline': deadline, ':expiration': epochSeconds(deadline) + 7 * DAY_SECONDS },
          mustExist: false,
        },
      );
    }
  }

  async tracked(deploymentId: string): Promise<TrackedDeployment | null> {
    const answer = await this.#db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: `deployment#${deploymentId}` } }),
    );
    const item = answer.Item;
    if (item === undefined) return null;
    return {
      started: {
        service: item.service as ServiceRef,
        deploymentId,
        via: item.via as DeploymentVia,
        startedAt: Number(item.startedAt),
      },
      changeKeys: (item.changeKeys as string[] | undefined) ?? [],
      deadline: Number(item.deadline),
    };
  }

  async recordEnd(changeKey: string, entry: LedgerEntry): Promise<Ledger | null> {
    const after = await this.#setEntry(changeKey, entry, { extra: '', values: {}, mustExist: true });
    return after ?? this.ledger(changeKey);
  }

  async ledger(changeKey: string): Promise<Ledger | null> {
    const answer = await this.#db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: `ledger#${changeKey}` }, ConsistentRead: true }),
    );
    return answer.Item === undefined ? null : ledgerOf(changeKey, answer.Item);
  }

  async markSettled(changeKey: string, settledAt: number): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: `ledger#${changeKey}` },
          UpdateExpression: 'SET settledAt = :at',
          ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(settledAt)',
          ExpressionAttributeValues: { ':at': settledAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Sets one service's entry unless it has ended already; the ledger after, or null when nothing was set. */
  async #setEntry(
    changeKey: string,
    entry: LedgerEntry,
    options: { extra: string; values: Record<string, unknown>; mustExist: boolean },
  ): Promise<Ledger | null> {
    try {
      const answer = await this.#db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: `ledger#${changeKey}` },
          UpdateExpression: `SET #entry = :entry${options.extra}`,
          ConditionExpression: options.mustExist ? `attribute_exists(id) AND ${STILL_OPEN}` : STILL_OPEN,
          ExpressionAttributeNames: {
            '#entry': `${ENTRY_PREFIX}${entry.service.serviceArn}`,
            '#state': 'state',
          },
          ExpressionAttributeValues: { ':entry': entryItem(entry), ...OPEN_STATES, ...options.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return answer.Attributes === undefined ? null : ledgerOf(changeKey, answer.Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }
}

function entryItem(entry: LedgerEntry): Record<string, unknown> {
  return {
    service: entry.service,
    deploymentId: entry.deploymentId,
    state: entry.state,
    reason: entry.reason,
    endedAt: entry.endedAt,
  };
}

const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);

function ledgerOf(changeKey: string, item: Record<string, unknown>): Ledger {
  const entries = Object.entries(item)
    .filter(([name]) => name.startsWith(ENTRY_PREFIX))
    .map(([, value]) => {
      const entry = value as Record<string, unknown>;
      return {
        service: entry.service as ServiceRef,
        deploymentId: typeof entry.deploymentId === 'string' ? entry.deploymentId : null,
        state: entry.state as LedgerEntry['state'],
        reason: typeof entry.reason === 'string' ? entry.reason : null,
        endedAt: numberOrNull(entry.endedAt),
      };
    });
  return {
    changeKey,
    change: (item.change as ReportedChange | undefined) ?? null,
    changeSeenAt: numberOrNull(item.changeSeenAt),
    deadline: numberOrNull(item.deadline),
    entries,
    settled: item.settledAt !== undefined,
  };
}

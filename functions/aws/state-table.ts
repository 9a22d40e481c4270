/**
 * The one DynamoDB table the tool keeps its state in, keyed by `id`, with `expiration` (epoch seconds) as TTL:
 * - `td#ARN`: what a task definition revision references (never expires: revisions never change);
 * - `pending#SERVICE`: who holds the service now, and per item (secret or parameter) the newest change key it
 *   waits to be redeployed for, in an attribute `key#ITEM` of its own: an older value of an item is moot once a
 *   newer one is pending, so the item holds one key per item the service reads, never more (kept
 *   `doneTtlSeconds` after its last change);
 * - `done#SERVICE#KEY`: a redeploy that carried KEY happened, or KEY was superseded by a newer pending change
 *   of its item (kept `doneTtlSeconds`);
 * - `flaps#SERVICE`: when this tool's newest forced deployments of the service started (at most the flap
 *   guard's limit of them) and when a deferred message is due back; expires an hour after the last start;
 * - Powertools Idempotency's own records, one per change key.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { itemOfChangeKey } from '../core/change-key.ts';
import { chunks } from '../core/chunks.ts';
import { RotationRedeployError } from '../core/errors.ts';
import { type FlapRecord, flapRecordExpiresAt, NO_FLAPS } from '../core/flap-guard.ts';
import type { Claim, PendingRedeploys, RedeployHistory, ReferenceStore } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import type { TaskDefinitionReferences } from '../core/reference.ts';
import type { ServiceRef } from '../core/service.ts';

const BATCH_GET = 100;
const BATCH_WRITE = 25;
/** TransactWriteItems takes 100 items; one is the pending item. */
const MAX_CARRIED = 99;
/** The pending item's attribute holding one item's newest change key: `key#` and the item's ARN. */
const SLOT_PREFIX = 'key#';
/** The attribute earlier versions kept every pending change key in (a string set that could only grow). */
const LEGACY_KEYS = 'changeKeys';
/** Attempts at completing when a newer change of a carried item arrives meanwhile. */
const COMPLETE_ATTEMPTS = 3;

const slotOf = (changeKey: string) => `${SLOT_PREFIX}${itemOfChangeKey(changeKey)}`;

/** The lost-hold case of `complete`: another worker took the service after this one's hold lapsed. */
export class HoldLostError extends RotationRedeployError {
  constructor(serviceArn: string, owner: string) {
    super(`${owner} no longer holds ${serviceArn}: its hold lapsed before the redeploy was recorded`);
  }
}

export interface StateTableOptions {
  readonly tableName: string;
  /** How long a done marker stops a repeated message from redeploying again. @default 7 days */
  readonly doneTtlSeconds?: number;
  readonly now?: () => number;
}

export class StateTable implements ReferenceStore, PendingRedeploys, RedeployHistory {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly tableName: string;
  readonly #doneTtl: number;
  readonly #now: () => number;

  constructor(client: DynamoDBClient, options: StateTableOptions) {
    this.#db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.tableName;
    this.tableName = options.tableName;
    this.#doneTtl = options.doneTtlSeconds ?? 7 * 24 * 3600;
    this.#now = options.now ?? Date.now;
  }

  async getMany(taskDefinitionArns: readonly string[]): Promise<Map<string, TaskDefinitionReferences>> {
    const found = new Map<string, TaskDefinitionReferences>();
    for (const batch of chunks([...new Set(taskDefinitionArns)], BATCH_GET)) {
      let keys: Record<string, unknown>[] | undefined = batch.map((arn) => ({ id: `td#${arn}` }));
      // Unprocessed keys are asked again; the SDK's retries already back off on throttling.
      for (let attempt = 0; keys !== undefined && keys.length > 0 && attempt < 5; attempt += 1) {
        const answer: BatchGetCommandOutput = await this.#db.send(
          new BatchGetCommand({
            RequestItems: { [this.#table]: { Keys: keys, ProjectionExpression: 'id, refs' } },
          }),
        );
        for (const item of answer.Responses?.[this.#table] ?? []) {
          found.set(
            String(item.id).slice('td#'.length),
            JSON.parse(String(item.refs)) as TaskDefinitionReferences,
          );
        }
        keys = answer.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return found;
  }

  async putMany(entries: ReadonlyMap<string, TaskDefinitionReferences>): Promise<void> {
    for (const batch of chunks([...entries], BATCH_WRITE)) {
      let requests: NonNullable<BatchWriteCommand['input']['RequestItems']>[string] | undefined = batch.map(
        ([arn, references]) => ({
          PutRequest: { Item: { id: `td#${arn}`, refs: JSON.stringify(references) } },
        }),
      );
      for (let attempt = 0; requests !== undefined && requests.length > 0 && attempt < 5; attempt += 1) {
        const answer: BatchWriteCommandOutput = await this.#db.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: requests } }),
        );
        requests = answer.UnprocessedItems?.[this.#table];
      }
    }
  }

  async add(message: RedeployMessage): Promise<void> {
    const slot = slotOf(message.changeKey);
    const answer = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { id: `pending#${message.service.serviceArn}` },
        UpdateExpression: 'SET #slot = :key, service = :service, expiration = :expiration',
        ExpressionAttributeNames: { '#slot': slot },
        ExpressionAttributeValues: {
          ':key': message.changeKey,
          ':service': message.service,
          ':expiration': this.#expiration(),
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const replaced = answer.Attributes?.[slot];
    // The older value is moot now the newer one waits: whichever message carries the newer key redeploys the
    // service, and the older key's own message then finds its change done instead of deploying once more.
    if (typeof replaced === 'string' && replaced !== message.changeKey) {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            id: `done#${message.service.serviceArn}#${replaced}`,
            supersededBy: message.changeKey,
            supersededAt: this.#now(),
            expiration: this.#expiration(),
          },
        }),
      );
    }
  }

  async claim(
    service: ServiceRef,
    changeKey: string,
    owner: string,
    untilMs: number,
    options: { readonly sweep?: boolean } = {},
  ): Promise<Claim> {
    const done = await this.#doneMarker(service, changeKey);
    const sweep = options.sweep === true;
    // A change superseded by a newer value of its item was never deployed itself: unless a deployment started
    // since, its message carries the newer value, or a source that changes faster than the coalescing window
    // would reach the service only once it stops changing. (The newer value's own message carries it anyway.)
    const superseded = done?.kind === 'superseded' && done.at !== null ? done.at : null;
    if (done !== null && superseded === null && !sweep) return { state: 'done' };
    try {
      const answer = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: `pending#${service.serviceArn}` },
          UpdateExpression:
            'SET service = :service, #owner = :owner, ownedUntil = :until, expiration = :expiration',
          ConditionExpression: 'attribute_not_exists(ownedUntil) OR ownedUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':service': service,
            ':owner': owner,
            ':until': untilMs,
            ':now': this.#now(),
            ':expiration': this.#expiration(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const others = pendingKeysOf(answer.Attributes).filter((key) => key !== changeKey);
      if (done === null) {
        // The message's own key is always carried: a redriven message whose pending item is gone still has it.
        return { state: 'claimed', changeKeys: [changeKey, ...others.sort()].slice(0, MAX_CARRIED) };
      }
      const deployedAt = answer.Attributes?.deployedAt;
      const covered =
        !sweep && typeof deployedAt === 'number' && superseded !== null && deployedAt >= superseded;
      // Swept: only what still waits is carried; nothing waits (or a later deployment took it), nothing to do.
      if (covered || others.length === 0) {
        await this.release(service, owner);
        return { state: 'done' };
      }
      return { state: 'claimed', changeKeys: others.sort().slice(0, MAX_CARRIED) };
    } catch (error) {
      // A superseded change's newer value has a message of its own: it need not wait for the holder.
      if (error instanceof ConditionalCheckFailedException)
        return superseded !== null && !sweep ? { state: 'done' } : { state: 'busy' };
      throw error;
    }
  }

  async complete(
    service: ServiceRef,
    owner: string,
    changeKeys: readonly string[],
    startedAt?: number,
  ): Promise<void> {
    const expiration = this.#expiration();
    const carried = new Set(changeKeys);
    for (let attempt = 1; ; attempt += 1) {
      const pending = await this.#db.send(
        new GetCommand({
          TableName: this.#table,
          Key: { id: `pending#${service.serviceArn}` },
          ConsistentRead: true,
        }),
      );
      if (pending.Item?.owner !== owner) throw new HoldLostError(service.serviceArn, owner);
      // A slot that took a newer key while this redeploy ran stays, and that key's message redeploys again.
      const slots = Object.entries(pending.Item).filter(
        ([name, value]) => name.startsWith(SLOT_PREFIX) && typeof value === 'string' && carried.has(value),
      );
      const names: Record<string, string> = { '#owner': 'owner' };
      const values: Record<string, unknown> = { ':owner': owner };
      // When the service's newest deployment started: a change superseded before then rode on it.
      const set = startedAt === undefined ? '' : 'SET deployedAt = :deployedAt ';
      if (startedAt !== undefined) values[':deployedAt'] = startedAt;
      const conditions = ['#owner = :owner'];
      slots.forEach(([name, value], index) => {
        names[`#s${index}`] = name;
        values[`:s${index}`] = value;
        conditions.push(`#s${index} = :s${index}`);
      });
      const removed = [...slots.map((_, index) => `#s${index}`), '#owner', 'ownedUntil'];
      if (pending.Item[LEGACY_KEYS] !== undefined) removed.push(LEGACY_KEYS);
      try {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              ...changeKeys.map((key) => ({
                Put: {
                  TableName: this.#table,
                  Item: { id: `done#${service.serviceArn}#${key}`, expiration },
                },
              })),
              {
                Update: {
                  TableName: this.#table,
                  Key: { id: `pending#${service.serviceArn}` },
                  UpdateExpression: `${set}REMOVE ${removed.join(', ')}`,
                  ConditionExpression: conditions.join(' AND '),
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        // A carried item took a newer key between the read and the write: read again and keep that one.
        if (!(error instanceof TransactionCanceledException) || attempt >= COMPLETE_ATTEMPTS) throw error;
      }
    }
  }

  async release(service: ServiceRef, owner: string): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: `pending#${service.serviceArn}` },
          UpdateExpression: 'REMOVE #owner, ownedUntil',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now: our hold had already lapsed, nothing to free.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** When a record written now expires: epoch seconds, the TTL attribute's unit. */
  #expiration(): number {
    return Math.floor(this.#now() / 1000) + this.#doneTtl;
  }

  async historyOf(service: ServiceRef): Promise<FlapRecord> {
    const answer = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { id: `flaps#${service.serviceArn}` },
        ConsistentRead: true,
      }),
    );
    const item = answer.Item;
    if (item === undefined) return NO_FLAPS;
    const starts = Array.isArray(item.starts) ? item.starts.filter((start) => typeof start === 'number') : [];
    return {
      starts,
      deferredUntil: typeof item.deferredUntil === 'number' ? item.deferredUntil : null,
    };
  }

  async saveHistory(service: ServiceRef, record: FlapRecord): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          id: `flaps#${service.serviceArn}`,
          starts: [...record.starts],
          deferredUntil: record.deferredUntil ?? undefined,
          expiration: Math.ceil(flapRecordExpiresAt(record) / 1000),
        },
      }),
    );
  }

  /**
   * Whether the change is done, and how: carried by a deployment, or superseded by a newer value of its item
   * (`at`, when; null on a marker written before that was kept).
   */
  async #doneMarker(
    service: ServiceRef,
    changeKey: string,
  ): Promise<{ kind: 'deployed' } | { kind: 'superseded'; at: number | null } | null> {
    const answer = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { id: `done#${service.serviceArn}#${changeKey}` },
        ConsistentRead: true,
      }),
    );
    const item = answer.Item;
    const expiration = item?.expiration;
    // TTL deletion lags; an expired marker no longer counts.
    if (item === undefined || (typeof expiration === 'number' && expiration * 1000 <= this.#now()))
      return null;
    if (typeof item.supersededBy !== 'string') return { kind: 'deployed' };
    return { kind: 'superseded', at: typeof item.supersededAt === 'number' ? item.supersededAt : null };
  }
}

/** Every change key a pending item holds: one per item, and any an earlier version kept in its set. */
function pendingKeysOf(item: Record<string, unknown> | undefined): string[] {
  if (item === undefined) return [];
  const keys = new Set<string>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(SLOT_PREFIX) && typeof value === 'string') keys.add(value);
  }
  const legacy = item[LEGACY_KEYS];
  if (legacy instanceof Set) for (const key of legacy) if (typeof key === 'string') keys.add(key);
  return [...keys];
}

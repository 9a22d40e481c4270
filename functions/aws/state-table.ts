/**
 * The one DynamoDB table the tool keeps its state in, keyed by `id`, with `expiration` (epoch seconds) as TTL:
 * - `td#ARN`: what a task definition revision references (never expires: revisions never change);
 * - `pending#SERVICE`: the change keys a service waits to be redeployed for, and who holds it now;
 * - `done#SERVICE#KEY`: a redeploy that carried KEY happened (kept `doneTtlSeconds`);
 * - Powertools Idempotency's own records, one per change key.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { chunks } from '../core/chunks.ts';
import type { Claim, PendingRedeploys, ReferenceStore } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import type { TaskDefinitionReferences } from '../core/reference.ts';
import type { ServiceRef } from '../core/service.ts';

const BATCH_GET = 100;
const BATCH_WRITE = 25;
/** TransactWriteItems takes 100 items; one is the pending item. */
const MAX_CARRIED = 99;

export interface StateTableOptions {
  readonly tableName: string;
  /** How long a done marker stops a repeated message from redeploying again. @default 7 days */
  readonly doneTtlSeconds?: number;
  readonly now?: () => number;
}

export class StateTable implements ReferenceStore, PendingRedeploys {
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
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { id: `pending#${message.service.serviceArn}` },
        UpdateExpression: 'ADD changeKeys :key SET service = :service',
        ExpressionAttributeValues: { ':key': new Set([message.changeKey]), ':service': message.service },
      }),
    );
  }

  async claim(service: ServiceRef, changeKey: string, owner: string, untilMs: number): Promise<Claim> {
    if (await this.#isDone(service, changeKey)) return { state: 'done' };
    try {
      const answer = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: `pending#${service.serviceArn}` },
          // The message's own key joins the set: a redriven message whose pending item is gone still carries it.
          UpdateExpression:
            'ADD changeKeys :key SET service = :service, #owner = :owner, ownedUntil = :until',
          ConditionExpression: 'attribute_not_exists(ownedUntil) OR ownedUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':key': new Set([changeKey]),
            ':service': service,
            ':owner': owner,
            ':until': untilMs,
            ':now': this.#now(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const keys = [...((answer.Attributes?.changeKeys as Set<string> | undefined) ?? [changeKey])].sort();
      return { state: 'claimed', changeKeys: keys.slice(0, MAX_CARRIED) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { state: 'busy' };
      throw error;
    }
  }

  async complete(service: ServiceRef, owner: string, changeKeys: readonly string[]): Promise<void> {
    const expiration = Math.floor(this.#now() / 1000) + this.#doneTtl;
    await this.#db.send(
      new TransactWriteCommand({
        TransactItems: [
          ...changeKeys.map((key) => ({
            Put: { TableName: this.#table, Item: { id: `done#${service.serviceArn}#${key}`, expiration } },
          })),
          {
            Update: {
              TableName: this.#table,
              Key: { id: `pending#${service.serviceArn}` },
              // Keys added while this redeploy ran stay, and their own messages redeploy again.
              UpdateExpression: 'DELETE changeKeys :keys REMOVE #owner, ownedUntil',
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':keys': new Set(changeKeys), ':owner': owner },
            },
          },
        ],
      }),
    );
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

  async #isDone(service: ServiceRef, changeKey: string): Promise<boolean> {
    const answer = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { id: `done#${service.serviceArn}#${changeKey}` },
        ConsistentRead: true,
      }),
    );
    const expiration = answer.Item?.expiration;
    // TTL deletion lags; an expired marker no longer counts.
    return answer.Item !== undefined && (typeof expiration !== 'number' || expiration * 1000 > this.#now());
  }
}

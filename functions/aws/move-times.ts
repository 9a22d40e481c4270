/**
 * Label moves and parameter writes the change functions saw in events, in the state table under
 * `move#KEY` (one item per secret label or parameter, overwritten by each later move, so their number is
 * bounded by the items in use), each expiring after `ttlSeconds` like every item of the table.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MoveTimes } from '../core/ports.ts';
import type { MoveRecord } from '../core/staleness.ts';

const BATCH_GET = 100;
/** A year: longer than any rotation schedule, so the move of a value still current is rarely forgotten. */
export const MOVE_TTL_SECONDS = 366 * 24 * 3600;

export interface DynamoMoveTimesOptions {
  readonly tableName: string;
  /** @default 366 days */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

export class DynamoMoveTimes implements MoveTimes {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(client: DynamoDBClient, options: DynamoMoveTimesOptions) {
    this.#db = DynamoDBDocumentClient.from(client);
    this.#table = options.tableName;
    this.#ttl = options.ttlSeconds ?? MOVE_TTL_SECONDS;
    this.#now = options.now ?? Date.now;
  }

  /** Keeps the move unless a later one is kept already: events arrive in any order. */
  async record(move: MoveRecord): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            id: `move#${move.key}`,
            version: move.version,
            at: move.at,
            changeKey: move.changeKey,
            expiration: Math.floor(this.#now() / 1000) + this.#ttl,
          },
          ConditionExpression: 'attribute_not_exists(id) OR #at <= :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': move.at },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getMany(keys: readonly string[]): Promise<Map<string, MoveRecord>> {
    const found = new Map<string, MoveRecord>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += BATCH_GET) {
      let ids: Record<string, unknown>[] | undefined = unique
        .slice(start, start + BATCH_GET)
        .map((key) => ({ id: `move#${key}` }));
      // Unprocessed keys are asked again; the SDK's retries already back off on throttling.
      for (let attempt = 0; ids !== undefined && ids.length > 0 && attempt < 5; attempt += 1) {
        const answer: BatchGetCommandOutput = await this.#db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#table]: {
                Keys: ids,
                ProjectionExpression: 'id, version, #at, changeKey, expiration',
                ExpressionAttributeNames: { '#at': 'at' },
              },
            },
          }),
        );
        for (const item of answer.Responses?.[this.#table] ?? []) {
          // TTL deletion lags; an expired record no longer counts.
          if (typeof item.expiration === 'number' && item.expiration * 1000 <= this.#now()) continue;
          const key = String(item.id).slice('move#'.length);
          found.set(key, {
            key,
            version: typeof item.version === 'string' ? item.version : null,
            at: Number(item.at),
            changeKey: String(item.changeKey),
          });
        }
        ids = answer.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return found;
  }
}

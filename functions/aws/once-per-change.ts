/** Once per change key, with Powertools Idempotency on the state table (records expire with the table's TTL). */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { OncePerKey } from '../core/ports.ts';

export class PowertoolsOncePerKey implements OncePerKey {
  readonly #config: IdempotencyConfig;
  readonly #store: DynamoDBPersistenceLayer;

  constructor(client: DynamoDBClient, tableName: string, expiresAfterSeconds: number) {
    this.#store = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
    // EventBridge retries a target for up to 24 hours: remember a change at least that long.
    this.#config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds });
  }

  /** Lets an in-progress record expire with the function's timeout, so a killed run can be retried. */
  registerLambdaContext(context: Context): void {
    this.#config.registerLambdaContext(context);
  }

  async run<T extends object>(
    key: string,
    work: () => Promise<T>,
  ): Promise<{ result: T; duplicate: boolean }> {
    let ran = false;
    const once = makeIdempotent(
      async (_input: { key: string }): Promise<T> => {
        ran = true;
        return work();
      },
      { persistenceStore: this.#store, config: this.#config },
    );
    const result = await once({ key });
    return { result, duplicate: !ran };
  }
}

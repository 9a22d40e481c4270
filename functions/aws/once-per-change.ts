/** Once per change key, with Powertools Idempotency on the state table (records expire with the table's TTL). */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Invocation, OncePerKey } from '../core/ports.ts';

export class PowertoolsOncePerKey implements OncePerKey {
  readonly #store: DynamoDBPersistenceLayer;

  /** @param expiresAfterSeconds how long a finished change is remembered */
  constructor(
    client: DynamoDBClient,
    tableName: string,
    private readonly expiresAfterSeconds: number,
  ) {
    this.#store = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  }

  async run<T extends object>(
    key: string,
    work: () => Promise<T>,
    invocation: Invocation,
  ): Promise<{ result: T; duplicate: boolean }> {
    // One configuration per run: the Lambda context it is told is this invocation's, and no other's.
    const config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      expiresAfterSeconds: this.expiresAfterSeconds,
    });
    // An in-progress record then expires with the function's timeout, so a killed run can be retried.
    if (invocation.lambdaContext !== undefined) config.registerLambdaContext(invocation.lambdaContext);
    let ran = false;
    const once = makeIdempotent(
      async (_input: { key: string }): Promise<T> => {
        ran = true;
        return work();
      },
      { persistenceStore: this.#store, config },
    );
    const result = await once({ key });
    return { result, duplicate: !ran };
  }
}

/**
 * What each task definition revision references, read once per ARN: revisions never change. Kept in memory
 * for a warm function and, with a store, across cold starts, so steady state makes no DescribeTaskDefinition.
 */
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { ReferenceStore, TaskDefinitions } from '../core/ports.ts';
import { referencesOf, type TaskDefinitionReferences } from '../core/reference.ts';

/** BatchGetItem reads at most 100 keys a call. */
const STORE_BATCH = 100;

interface Waiter {
  resolve(references: TaskDefinitionReferences): void;
  reject(error: unknown): void;
}

export class EcsTaskDefinitions implements TaskDefinitions {
  /** Promises, so concurrent asks for one ARN share one read. */
  readonly #cache = new Map<string, Promise<TaskDefinitionReferences>>();
  /** ARNs asked for in this turn of the event loop, looked up in the store together. */
  #waiting = new Map<string, Waiter>();
  readonly #writes = new Set<Promise<void>>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly store?: ReferenceStore,
    /** Told when the store cannot be read or written; ECS is then asked, and nothing is lost. */
    private readonly onStoreError: (error: unknown) => void = () => {},
  ) {}

  referencesOf(taskDefinitionArn: string): Promise<TaskDefinitionReferences> {
    const cached = this.#cache.get(taskDefinitionArn);
    if (cached !== undefined) return cached;
    const read =
      this.store === undefined ? this.#describe(taskDefinitionArn) : this.#fromStore(taskDefinitionArn);
    this.#cache.set(taskDefinitionArn, read);
    // A failed read is not a fact about the revision: let the next ask try again.
    read.catch(() => this.#cache.delete(taskDefinitionArn));
    return read;
  }

  /** Waits for the store writes still in flight, so a function does not end before they land. */
  async settle(): Promise<void> {
    await Promise.all([...this.#writes]);
  }

  #fromStore(taskDefinitionArn: string): Promise<TaskDefinitionReferences> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) setImmediate(() => void this.#lookUp());
      this.#waiting.set(taskDefinitionArn, { resolve, reject });
      if (this.#waiting.size >= STORE_BATCH) void this.#lookUp();
    });
  }

  async #lookUp(): Promise<void> {
    const batch = this.#waiting;
    if (batch.size === 0) return;
    this.#waiting = new Map();
    let stored = new Map<string, TaskDefinitionReferences>();
    try {
      stored = (await this.store?.getMany([...batch.keys()])) ?? stored;
    } catch (error) {
      this.onStoreError(error);
    }
    const described = new Map<string, TaskDefinitionReferences>();
    await Promise.all(
      [...batch].map(async ([arn, waiter]) => {
        const known = stored.get(arn);
        if (known !== undefined) return waiter.resolve(known);
        try {
          const references = await this.#describe(arn);
          described.set(arn, references);
          waiter.resolve(references);
        } catch (error) {
          waiter.reject(error);
        }
      }),
    );
    if (described.size > 0 && this.store !== undefined) {
      const write = this.store.putMany(described).catch((error: unknown) => this.onStoreError(error));
      this.#writes.add(write);
      void write.finally(() => this.#writes.delete(write));
    }
  }

  async #describe(taskDefinitionArn: string): Promise<TaskDefinitionReferences> {
    const answer = await this.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
    );
    if (answer.taskDefinition === undefined) {
      throw new Error(`DescribeTaskDefinition returned no task definition for ${taskDefinitionArn}`);
    }
    return referencesOf({
      ...answer.taskDefinition,
      taskDefinitionArn: answer.taskDefinition.taskDefinitionArn ?? taskDefinitionArn,
    });
  }
}

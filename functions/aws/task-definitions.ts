/** What each task definition revision references, read once per ARN: revisions never change. */
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { TaskDefinitions } from '../core/ports.ts';
import { referencesOf, type TaskDefinitionReferences } from '../core/reference.ts';

export class EcsTaskDefinitions implements TaskDefinitions {
  /** Promises, so concurrent asks for one ARN share one call. */
  readonly #cache = new Map<string, Promise<TaskDefinitionReferences>>();

  constructor(private readonly ecs: ECSClient) {}

  referencesOf(taskDefinitionArn: string): Promise<TaskDefinitionReferences> {
    const cached = this.#cache.get(taskDefinitionArn);
    if (cached !== undefined) return cached;
    const read = this.#read(taskDefinitionArn);
    this.#cache.set(taskDefinitionArn, read);
    // A failed read is not a fact about the revision: let the next ask try again.
    read.catch(() => this.#cache.delete(taskDefinitionArn));
    return read;
  }

  async #read(taskDefinitionArn: string): Promise<TaskDefinitionReferences> {
    const answer = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    if (answer.taskDefinition === undefined) {
      throw new Error(`DescribeTaskDefinition returned no task definition for ${taskDefinitionArn}`);
    }
    // The ARN asked for is the one services name; ECS answers with the same, keep it for the context.
    return referencesOf({ ...answer.taskDefinition, taskDefinitionArn: answer.taskDefinition.taskDefinitionArn ?? taskDefinitionArn });
  }
}

/** The ports the use case talks through; each has one AWS adapter in aws/ and an in-memory one in tests. */
import type { Service } from './plan.ts';
import type { TaskDefinitionReferences } from './reference.ts';

export interface Inventory {
  /** Every ACTIVE service to consider, each with tags, deployment controller and current task definition. */
  services(): AsyncIterable<Service>;
  /** How many clusters the last `services()` walk looked at. */
  readonly clustersScanned: number;
}

export interface TaskDefinitions {
  /** What a task definition revision references; revisions are immutable, so adapters cache by ARN. */
  referencesOf(taskDefinitionArn: string): Promise<TaskDefinitionReferences>;
}

export interface Redeployer {
  /** Forces a new deployment of the service's current task definition; returns the new PRIMARY deployment. */
  redeploy(service: Service): Promise<{ readonly deploymentId: string | null }>;
}

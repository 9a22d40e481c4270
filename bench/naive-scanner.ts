/**
 * The scanner many teams write, as the benchmark's point of comparison (NAIVE_SCANNER says what it calls).
 * It decides with the same reference rules as ours, so the two differ only in how they call ECS. A service
 * it cannot describe, read or redeploy is counted failed and the loop goes on, as such a loop's try/catch does.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Change } from '../functions/core/change.ts';
import { matchingReferences } from '../functions/core/decide.ts';
import { referencesOf } from '../functions/core/reference.ts';
import { LIST_SERVICES_PAGE } from './simulated-ecs.ts';

/** What the naive scanner calls, in words for the results. */
export const NAIVE_SCANNER = `ListClusters, ListServices with its default page of ${LIST_SERVICES_PAGE.default}, DescribeServices one service at a time, DescribeTaskDefinition for every service (no cache), UpdateService as soon as a service matches`;

export interface NaiveOutcome {
  readonly redeployed: number;
  /** Services that could not be described, read or redeployed. */
  readonly failed: number;
}

async function* pages<T>(
  list: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>,
) {
  let nextToken: string | undefined;
  do {
    const page = await list(nextToken);
    yield page.items;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
}

/** `servicesAtOnce` services of a page are handled together (1: one after the other). */
export async function naiveRedeploy(
  ecs: ECSClient,
  change: Change,
  servicesAtOnce = 1,
): Promise<NaiveOutcome> {
  let redeployed = 0;
  let failed = 0;
  const redeployIfUser = async (cluster: string, serviceArn: string) => {
    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceArn] }));
    const service = described.services?.[0];
    if (service?.status !== 'ACTIVE' || service.taskDefinition === undefined) return;
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }),
    );
    if (taskDefinition === undefined) return;
    if (matchingReferences(change, referencesOf(taskDefinition).references).length === 0) return;
    await ecs.send(new UpdateServiceCommand({ cluster, service: serviceArn, forceNewDeployment: true }));
    redeployed += 1;
  };
  const handle = (cluster: string, serviceArn: string) =>
    redeployIfUser(cluster, serviceArn).catch(() => {
      failed += 1;
    });

  const clusterPages = pages(async (nextToken) => {
    const answer = await ecs.send(new ListClustersCommand({ nextToken }));
    return { items: answer.clusterArns ?? [], nextToken: answer.nextToken };
  });
  for await (const clusters of clusterPages) {
    for (const cluster of clusters) {
      const servicePages = pages(async (nextToken) => {
        const answer = await ecs.send(new ListServicesCommand({ cluster, nextToken }));
        return { items: answer.serviceArns ?? [], nextToken: answer.nextToken };
      });
      for await (const serviceArns of servicePages) {
        for (let start = 0; start < serviceArns.length; start += servicesAtOnce) {
          await Promise.all(
            serviceArns.slice(start, start + servicesAtOnce).map((arn) => handle(cluster, arn)),
          );
        }
      }
    }
  }
  return { redeployed, failed };
}

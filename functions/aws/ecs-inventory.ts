/** The services to consider: every cluster's (ListClusters → ListServices → DescribeServices), or the tagged ones. */
import {
  DescribeServicesCommand,
  type ECSClient,
  type Service as EcsService,
  paginateListClusters,
  paginateListServices,
} from '@aws-sdk/client-ecs';
import {
  paginateGetResources,
  type ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { OPT_TAG_KEY } from '../contract.ts';
import { clusterNameOf, clusterNameOfService } from '../core/arn.ts';
import { chunks } from '../core/chunks.ts';
import type { Inventory } from '../core/ports.ts';
import { OPT_IN, type Service } from '../core/service.ts';
import { launchOf, strategyOf } from './task-set-launch.ts';

/** DescribeServices takes at most 10 services a call. */
export const DESCRIBE_BATCH = 10;
/** ListServices answers 10 a page unless asked for its maximum, 100. */
export const LIST_PAGE = 100;

/** An ACTIVE service as the tool sees it; null for one ECS no longer runs (DRAINING, INACTIVE). */
export function toService(described: EcsService, clusterArn: string): Service | null {
  if (described.status !== 'ACTIVE' || !described.serviceArn || !described.taskDefinition) return null;
  const tags: Record<string, string> = {};
  for (const tag of described.tags ?? []) if (tag.key !== undefined) tags[tag.key] = tag.value ?? '';
  return {
    serviceArn: described.serviceArn,
    serviceName:
      described.serviceName ?? described.serviceArn.slice(described.serviceArn.lastIndexOf('/') + 1),
    clusterArn: described.clusterArn ?? clusterArn,
    taskDefinitionArn: described.taskDefinition,
    desiredCount: described.desiredCount ?? 0,
    deploymentController: described.deploymentController?.type ?? 'ECS',
    tags,
    deployedAt: newestCreation(described),
    // What existed before the tool acted: only a deployment not among these can be the tool's.
    deploymentIds: (described.deployments ?? []).flatMap((deployment) => deployment.id ?? []),
    deploymentStrategy: strategyOf(described),
    launch: launchOf(described),
  };
}

/**
 * When the newest deployment was created: ECS-controlled services have deployments, CODE_DEPLOY and
 * EXTERNAL ones task sets. A new deployment starts tasks that read their secrets anew.
 */
function newestCreation(described: EcsService): number | null {
  const times = [...(described.deployments ?? []), ...(described.taskSets ?? [])].flatMap((entry) =>
    entry.createdAt === undefined ? [] : [entry.createdAt.getTime()],
  );
  return times.length === 0 ? null : Math.max(...times);
}

/** Describes the services of one cluster, 10 a call, the calls of one list page in parallel. */
async function describe(ecs: ECSClient, cluster: string, serviceArns: readonly string[]): Promise<Service[]> {
  const answers = await Promise.all(
    chunks(serviceArns, DESCRIBE_BATCH).map((batch) =>
      ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] })),
    ),
  );
  return answers.flatMap((answer) =>
    (answer.services ?? []).flatMap((described) => toService(described, cluster) ?? []),
  );
}

/** Every ACTIVE service of every cluster in the client's account and Region. */
export class ClusterInventory implements Inventory {
  #clusters = 0;
  constructor(private readonly ecs: ECSClient) {}

  get clustersScanned(): number {
    return this.#clusters;
  }

  async *services(): AsyncIterable<Service> {
    this.#clusters = 0;
    for await (const page of paginateListClusters({ client: this.ecs, pageSize: 100 }, {})) {
      for (const clusterArn of page.clusterArns ?? []) {
        this.#clusters += 1;
        yield* this.#servicesOf(clusterArn);
      }
    }
  }

  async *#servicesOf(clusterArn: string): AsyncIterable<Service> {
    const clusterName = clusterNameOf(clusterArn);
    const pages = paginateListServices({ client: this.ecs, pageSize: LIST_PAGE }, { cluster: clusterArn });
    for await (const page of pages) {
      // A service ARN names its cluster; keeping only this cluster's guards against an answer that
      // mixes clusters (moto matches cluster names by substring) and never costs a call.
      const arns = (page.serviceArns ?? []).filter((arn) => {
        const cluster = clusterNameOfService(arn);
        return cluster === null || cluster === clusterName;
      });
      if (arns.length > 0) yield* await describe(this.ecs, clusterArn, arns);
    }
  }
}

/** Only the services tagged `rotation-redeploy=on`, found with the tagging API instead of listing clusters. */
export class TaggedInventory implements Inventory {
  #clusters = 0;
  constructor(
    private readonly ecs: ECSClient,
    private readonly tagging: ResourceGroupsTaggingAPIClient,
    /** Called for a tagged service in the short ARN format, whose cluster cannot be told. */
    private readonly onUnplaceable: (serviceArn: string) => void = () => {},
  ) {}

  get clustersScanned(): number {
    return this.#clusters;
  }

  async *services(): AsyncIterable<Service> {
    const byCluster = new Map<string, string[]>();
    const pages = paginateGetResources(
      { client: this.tagging, pageSize: 100 },
      { ResourceTypeFilters: ['ecs:service'], TagFilters: [{ Key: OPT_TAG_KEY, Values: [OPT_IN] }] },
    );
    for await (const page of pages) {
      for (const mapping of page.ResourceTagMappingList ?? []) {
        const arn = mapping.ResourceARN;
        if (arn === undefined) continue;
        const cluster = clusterNameOfService(arn);
        if (cluster === null) {
          this.onUnplaceable(arn);
          continue;
        }
        byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), arn]);
      }
    }
    // Grouping every page first makes the fewest DescribeServices calls: ceil(n / 10) per cluster.
    this.#clusters = byCluster.size;
    for (const [cluster, arns] of byCluster) yield* await describe(this.ecs, cluster, arns);
  }
}

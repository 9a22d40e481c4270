/**
 * Finds the CodeDeploy deployment group of an ECS service: ListApplications, ListDeploymentGroups of each, then
 * BatchGetDeploymentGroups (25 a call) or, where that action is missing (some emulators), GetDeploymentGroup
 * one group at a time.
 *
 * The map is built once and kept in the adapter, so one run builds it at most once and a warm Lambda
 * environment reuses it: entries are trusted for `maxAgeMs`, and a service missing from a map built more than
 * `missRefreshMs` ago rebuilds it once, so a group created since the last build is found.
 */
import {
  BatchGetDeploymentGroupsCommand,
  type CodeDeployClient,
  GetDeploymentGroupCommand,
  paginateListApplications,
  paginateListDeploymentGroups,
  type DeploymentGroupInfo as SdkDeploymentGroupInfo,
} from '@aws-sdk/client-codedeploy';
import { createLimiter } from '../core/bounded.ts';
import { chunks } from '../core/chunks.ts';
import {
  type DeploymentGroupInfo,
  type DeploymentGroupRef,
  indexByService,
  serviceKey,
} from '../core/deployment-groups.ts';
import type { DeploymentGroups } from '../core/ports.ts';

/** BatchGetDeploymentGroups takes at most 25 names a call. */
export const GROUPS_BATCH = 25;

export interface GroupCacheOptions {
  /** How long a built map is trusted at all. @default 600000 (10 minutes) */
  readonly maxAgeMs?: number;
  /** A miss on a map older than this rebuilds it. @default 60000 */
  readonly missRefreshMs?: number;
  /** CodeDeploy calls in flight while building. @default 4 */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/**
 * An action the endpoint does not implement: an HTML page with HTTP 500/501 that the SDK cannot parse, or an
 * UnknownOperationException. Only then is BatchGetDeploymentGroups given up for GetDeploymentGroup; any other
 * error (throttling, access denied) is the answer.
 */
export function isUnimplemented(error: unknown): boolean {
  const failure = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (failure.name === 'UnknownOperationException') return true;
  const status = failure.$metadata?.httpStatusCode;
  return (status === 500 || status === 501) && failure.name === 'SyntaxError';
}

interface CachedMap {
  readonly builtAt: number;
  readonly index: Promise<Map<string, DeploymentGroupRef>>;
}

export class CodeDeployGroups implements DeploymentGroups {
  readonly #maxAgeMs: number;
  readonly #missRefreshMs: number;
  readonly #limit: ReturnType<typeof createLimiter>;
  readonly #now: () => number;
  #map: CachedMap | null = null;
  #batchGetMissing = false;
  /** How many times the map was built: observable for tests of the cache. */
  builds = 0;

  constructor(
    private readonly codedeploy: CodeDeployClient,
    options: GroupCacheOptions = {},
  ) {
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#missRefreshMs = options.missRefreshMs ?? 60_000;
    this.#limit = createLimiter(options.concurrency ?? 4);
    this.#now = options.now ?? Date.now;
  }

  async groupOf(service: { clusterName: string; serviceName: string }): Promise<DeploymentGroupRef | null> {
    const key = serviceKey(service.clusterName, service.serviceName);
    const now = this.#now();
    let map = this.#map;
    if (map === null || now - map.builtAt > this.#maxAgeMs) map = this.#rebuild(now);
    const found = (await map.index).get(key);
    if (found !== undefined) return found;
    // Within one run the map is fresh; a map from an earlier invocation may predate the service's group.
    if (now - map.builtAt <= this.#missRefreshMs) return null;
    if (this.#map === map) this.#rebuild(now);
    return (await (this.#map ?? this.#rebuild(now)).index).get(key) ?? null;
  }

  #rebuild(now: number): CachedMap {
    const index = this.#build();
    // A failed build is not kept: the next lookup tries again.
    index.catch(() => {
      if (this.#map?.index === index) this.#map = null;
    });
    const map = { builtAt: now, index };
    this.#map = map;
    return map;
  }

  async #build(): Promise<Map<string, DeploymentGroupRef>> {
    this.builds += 1;
    const names: string[] = [];
    for await (const page of paginateListApplications({ client: this.codedeploy }, {})) {
      names.push(...(page.applications ?? []));
    }
    // Every application, whatever its compute platform: a group that deploys no ECS service lists none, and
    // reading it costs a share of one batch call, where sorting applications by platform would cost more calls.
    const groups = await Promise.all(names.map((application) => this.#groupsOf(application)));
    return indexByService(groups.flat());
  }

  async #groupsOf(applicationName: string): Promise<DeploymentGroupInfo[]> {
    const groupNames = await this.#limit(async () => {
      const found: string[] = [];
      const pages = paginateListDeploymentGroups({ client: this.codedeploy }, { applicationName });
      for await (const page of pages) found.push(...(page.deploymentGroups ?? []));
      return found;
    });
    const infos = await Promise.all(
      chunks(groupNames, GROUPS_BATCH).map((batch) => this.#describe(applicationName, batch)),
    );
    return infos.flat();
  }

  async #describe(applicationName: string, groupNames: readonly string[]): Promise<SdkDeploymentGroupInfo[]> {
    if (!this.#batchGetMissing) {
      try {
        const answer = await this.#limit(() =>
          this.codedeploy.send(
            new BatchGetDeploymentGroupsCommand({ applicationName, deploymentGroupNames: [...groupNames] }),
          ),
        );
        return answer.deploymentGroupsInfo ?? [];
      } catch (error) {
        if (!isUnimplemented(error)) throw error;
        this.#batchGetMissing = true;
      }
    }
    const answers = await Promise.all(
      groupNames.map((deploymentGroupName) =>
        this.#limit(() =>
          this.codedeploy.send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName })),
        ),
      ),
    );
    return answers.flatMap((answer) => answer.deploymentGroupInfo ?? []);
  }
}

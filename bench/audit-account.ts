/**
 * The audit measurement's synthetic account: N services spread evenly over C clusters, 20% as many distinct
 * task definitions as services, every task definition referencing three items drawn from a pool of distinct
 * secrets and parameters (each item referenced at least once), and a few of those items changed after every
 * service was deployed. The same shape and seed always give the same account.
 */
import {
  ACCOUNT_ID,
  REGION,
  SHARE_OF_TASK_DEFINITIONS,
  type SyntheticAccount,
  type SyntheticCluster,
  type SyntheticService,
  type SyntheticTaskDefinition,
} from './synthetic-account.ts';

export interface AuditAccountShape {
  readonly services: number;
  readonly clusters: number;
  /** Distinct secrets and parameters the task definitions reference. */
  readonly items: number;
  /** Of the items, how many changed after every service's deployment. */
  readonly changedItems: number;
  readonly seed?: number;
}

/** A secret with its labelled versions, or a parameter with its last write: what the metadata reads answer. */
export type SyntheticItem =
  | {
      readonly kind: 'secretsmanager';
      readonly arn: string;
      readonly name: string;
      readonly versions: readonly {
        readonly versionId: string;
        readonly stages: readonly string[];
        readonly createdAt: number;
      }[];
    }
  | {
      readonly kind: 'ssm';
      readonly arn: string;
      /** Hierarchical: `/prod/...`. */
      readonly name: string;
      readonly version: number;
      readonly lastModifiedAt: number;
    };

export interface AuditAccount extends SyntheticAccount {
  /** Every referenced item, by ARN. `matchingServiceArns` holds the services reading a changed one. */
  readonly items: ReadonlyMap<string, SyntheticItem>;
  readonly changedItemArns: ReadonlySet<string>;
}

/** Of the items, this share are secrets; the rest are parameters. */
export const SHARE_OF_SECRETS = 0.6;
/** Items each task definition references. */
export const REFERENCES_PER_TASK_DEFINITION = 3;
/** Before every deployment of the simulated account (1 January 2025), and after it. */
const OLD_VALUE_AT = Date.parse('2024-06-01T00:00:00Z');
const NEW_VALUE_AT = Date.parse('2025-06-01T00:00:00Z');
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The shape in words, for the results, with the numbers it is built with. */
export function describeAuditAccount(shape: AuditAccountShape): string {
  const secrets = Math.round(shape.items * SHARE_OF_SECRETS);
  return `${shape.services.toLocaleString('en-US')} services over ${shape.clusters} clusters, ${SHARE_OF_TASK_DEFINITIONS * 100}% as many distinct task definitions, each referencing ${REFERENCES_PER_TASK_DEFINITION} of ${shape.items} distinct items (${secrets} secrets by full ARN, some by one JSON key, and ${shape.items - secrets} hierarchical parameters by ARN or name), every item referenced at least once; ${shape.changedItems} items changed after every service was deployed.`;
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (value: number) => String(value).padStart(5, '0');

function makeItems(shape: AuditAccountShape, next: () => number): SyntheticItem[] {
  const secrets = Math.round(shape.items * SHARE_OF_SECRETS);
  return Array.from({ length: shape.items }, (_, index): SyntheticItem => {
    const changed = index % Math.max(1, Math.floor(shape.items / shape.changedItems)) === 0;
    if (index < secrets) {
      const name = `prod/secret-${pad(index)}`;
      const suffix = Array.from(
        { length: 6 },
        () => SUFFIX_CHARS[Math.floor(next() * SUFFIX_CHARS.length)],
      ).join('');
      const old = { versionId: `${name}-v1`, createdAt: OLD_VALUE_AT };
      return {
        kind: 'secretsmanager',
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-${suffix}`,
        name,
        versions: changed
          ? [
              { ...old, stages: ['AWSPREVIOUS'] },
              { versionId: `${name}-v2`, stages: ['AWSCURRENT'], createdAt: NEW_VALUE_AT },
            ]
          : [{ ...old, stages: ['AWSCURRENT'] }],
      };
    }
    const name = `/prod/parameter-${pad(index)}`;
    return {
      kind: 'ssm',
      arn: `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter${name}`,
      name,
      version: changed ? 2 : 1,
      lastModifiedAt: changed ? NEW_VALUE_AT : OLD_VALUE_AT,
    };
  });
}

/** How a task definition names an item: secrets by ARN or one JSON key of it, parameters by ARN or name. */
function referenceTo(item: SyntheticItem, position: number): string {
  if (item.kind === 'secretsmanager') return position % 2 === 0 ? item.arn : `${item.arn}:password::`;
  return position % 2 === 0 ? item.arn : item.name;
}

export function auditAccount(shape: AuditAccountShape): AuditAccount {
  const { services, clusters } = shape;
  if (
    !Number.isInteger(services) ||
    !Number.isInteger(clusters) ||
    clusters < 1 ||
    services < clusters ||
    shape.changedItems < 1 ||
    shape.changedItems > shape.items
  ) {
    throw new RangeError(
      `an audit account needs services >= clusters >= 1 and 1 <= changed <= items, got ${JSON.stringify(shape)}`,
    );
  }
  const next = random(shape.seed ?? 20260301);
  const items = makeItems(shape, next);
  const taskDefinitionCount = Math.max(1, Math.round(services * SHARE_OF_TASK_DEFINITIONS));
  if (taskDefinitionCount * REFERENCES_PER_TASK_DEFINITION < items.length) {
    throw new RangeError(`${taskDefinitionCount} task definitions cannot reference ${items.length} items`);
  }
  // Every item once in order, then at random: each is referenced, and each task definition names three.
  const picks = Array.from({ length: taskDefinitionCount * REFERENCES_PER_TASK_DEFINITION }, (_, index) =>
    index < items.length ? index : Math.floor(next() * items.length),
  );
  const taskDefinitions: SyntheticTaskDefinition[] = Array.from(
    { length: taskDefinitionCount },
    (_, index) => {
      const family = `svc-${pad(index)}`;
      const revision = 1 + Math.floor(next() * 40);
      const chosen = picks.slice(
        index * REFERENCES_PER_TASK_DEFINITION,
        (index + 1) * REFERENCES_PER_TASK_DEFINITION,
      );
      return {
        arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`,
        family,
        revision,
        secretsByContainer: [
          chosen.map((pick, position) => referenceTo(items[pick] as SyntheticItem, position)),
        ],
      };
    },
  );
  const changedItemArns = new Set(
    items
      .filter((item) => (item.kind === 'ssm' ? item.version > 1 : item.versions.length > 1))
      .map((item) => item.arn),
  );
  const readsChanged = new Set(
    taskDefinitions
      .filter((_, index) =>
        picks
          .slice(index * REFERENCES_PER_TASK_DEFINITION, (index + 1) * REFERENCES_PER_TASK_DEFINITION)
          .some((pick) => changedItemArns.has((items[pick] as SyntheticItem).arn)),
      )
      .map((definition) => definition.arn),
  );

  const clusterList: (SyntheticCluster & { services: SyntheticService[] })[] = Array.from(
    { length: clusters },
    (_, index) => {
      const name = `cluster-${pad(index)}`;
      return { arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${name}`, name, services: [] };
    },
  );
  const matchingServiceArns = new Set<string>();
  for (let index = 0; index < services; index += 1) {
    const cluster = clusterList[index % clusters] as (typeof clusterList)[number];
    const taskDefinition = taskDefinitions[index % taskDefinitions.length] as SyntheticTaskDefinition;
    const name = `app-${pad(index)}`;
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${cluster.name}/${name}`;
    cluster.services.push({ arn, name, clusterArn: cluster.arn, taskDefinitionArn: taskDefinition.arn });
    if (readsChanged.has(taskDefinition.arn)) matchingServiceArns.add(arn);
  }
  return {
    region: REGION,
    accountId: ACCOUNT_ID,
    clusters: clusterList,
    taskDefinitions: new Map(taskDefinitions.map((definition) => [definition.arn, definition])),
    matchingServiceArns,
    items: new Map(items.map((item) => [item.arn, item])),
    changedItemArns,
  };
}

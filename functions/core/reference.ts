/**
 * What a task definition references, and whether a change reaches it. The ECS reference rules live
 * here and nowhere else: the plan, the handlers and the CLI's `who-uses` all ask this module.
 */
import {
  isSuffixedSecretId,
  normaliseParameterName,
  parameterNameProblem,
  parseArn,
  parseItemArn,
  SECRETS_MANAGER_REFERENCE_PATH,
  secretNameProblem,
  secretThroughReferencePath,
  splitSecretId,
} from './arn.ts';
import { InvalidQueryError } from './errors.ts';

/** Where in a task definition a reference sits. */
export type ReferenceField = 'secrets' | 'secretOptions' | 'repositoryCredentials' | 'fsxCredentials';

/** A secret or parameter, as a reference names it or a change reports it. */
export type Item =
  | {
      readonly kind: 'secretsmanager';
      readonly partition: string;
      readonly region: string;
      /** null: any account (a CLI query by bare name). */
      readonly account: string | null;
      /** The secret's name, without the six-character suffix. */
      readonly name: string;
      /** The suffix of the full ARN, when known. */
      readonly suffix: string | null;
    }
  | {
      readonly kind: 'ssm';
      readonly partition: string;
      readonly region: string;
      readonly account: string | null;
      /** Normalised: no leading slash. */
      readonly name: string;
    };

export interface Reference {
  /** Container name, or `volume:NAME` for an FSx for Windows File Server volume. */
  readonly container: string;
  readonly field: ReferenceField;
  readonly valueFrom: string;
  /** The secret id as written (`name-AbCdEf` or `name`) for Secrets Manager; the normalised name for SSM. */
  readonly kind: 'secretsmanager' | 'ssm';
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly id: string;
  readonly jsonKey: string | null;
  /** The staging label the reference follows; null means `AWSCURRENT`. */
  readonly versionStage: string | null;
  readonly versionId: string | null;
}

/** What a task definition's ARN says about where its names resolve. */
export interface TaskContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** A reference that ECS itself would refuse; kept so operators can be told, never matched. */
export interface MalformedReference {
  readonly container: string;
  readonly field: ReferenceField;
  readonly valueFrom: string;
  readonly problem: string;
}

/**
 * The part of a task definition this module reads; the SDK's `TaskDefinition` fits it structurally,
 * so the core needs no SDK import.
 */
export interface TaskDefinitionShape {
  readonly taskDefinitionArn?: string | undefined;
  readonly containerDefinitions?:
    | ReadonlyArray<{
        readonly name?: string | undefined;
        readonly secrets?: ReadonlyArray<{ readonly valueFrom?: string | undefined }> | undefined;
        readonly logConfiguration?:
          | {
              readonly secretOptions?: ReadonlyArray<{ readonly valueFrom?: string | undefined }> | undefined;
            }
          | undefined;
        readonly repositoryCredentials?: { readonly credentialsParameter?: string | undefined } | undefined;
      }>
    | undefined;
  readonly volumes?:
    | ReadonlyArray<{
        readonly name?: string | undefined;
        readonly fsxWindowsFileServerVolumeConfiguration?:
          | {
              readonly authorizationConfig?:
                | { readonly credentialsParameter?: string | undefined }
                | undefined;
            }
          | undefined;
      }>
    | undefined;
}

export interface TaskDefinitionReferences {
  readonly references: readonly Reference[];
  readonly malformed: readonly MalformedReference[];
}

type Parsed = Omit<Reference, 'container' | 'field' | 'valueFrom'> | { problem: string };

/**
 * `arn:…:secretsmanager:R:A:secret:ID` or `…:secret:ID:json-key:version-stage:version-id`: the ECS agent
 * accepts exactly these two lengths; stage and version id are mutually exclusive.
 */
function parseSecretArn(valueFrom: string): Parsed {
  const parts = valueFrom.split(':');
  if (parts[5] !== 'secret' || (parts.length !== 7 && parts.length !== 10)) {
    return {
      problem:
        'a Secrets Manager ARN must be arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:ID, optionally followed by :json-key:version-stage:version-id',
    };
  }
  const [, partition = '', , region = '', account = '', , id = '', jsonKey = '', stage = '', versionId = ''] =
    parts;
  if (id === '') return { problem: 'the secret id is empty' };
  if (stage !== '' && versionId !== '') {
    return { problem: 'a reference cannot name both a version stage and a version id' };
  }
  return {
    kind: 'secretsmanager',
    partition,
    region,
    account,
    id,
    jsonKey: jsonKey === '' ? null : jsonKey,
    versionStage: stage === '' ? null : stage,
    versionId: versionId === '' ? null : versionId,
  };
}

function parseValueFrom(valueFrom: string, field: ReferenceField, context: TaskContext): Parsed {
  const arn = parseArn(valueFrom);
  if (arn?.service === 'secretsmanager') return parseSecretArn(valueFrom);
  if (arn?.service === 'ssm') {
    if (!arn.resource.startsWith('parameter/') || arn.resource.length === 'parameter/'.length) {
      return { problem: 'an SSM ARN must name a parameter: arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME' };
    }
    if (field === 'repositoryCredentials') {
      return { problem: 'repository credentials must be a Secrets Manager secret' };
    }
    const name = normaliseParameterName(arn.resource.slice('parameter'.length));
    return secretThroughParameterStore(arn, name) ?? ssmReference(arn, name);
  }
  if (arn !== null || valueFrom.startsWith('arn:')) {
    return { problem: 'only Secrets Manager and SSM Parameter Store ARNs can be referenced' };
  }
  if (valueFrom === '') return { problem: 'the reference is empty' };
  if (field === 'repositoryCredentials') {
    // A bare name here is a Secrets Manager secret in the task's own Region.
    return {
      kind: 'secretsmanager',
      ...context,
      id: valueFrom,
      jsonKey: null,
      versionStage: null,
      versionId: null,
    };
  }
  if (valueFrom.includes(':')) {
    return {
      problem: 'ECS reads the latest parameter version: name:version and name:label selectors are refused',
    };
  }
  const name = normaliseParameterName(valueFrom);
  return secretThroughParameterStore(context, name) ?? ssmReference(context, name);
}

/** The secret a normalised parameter name reads through the reserved path; null for an ordinary parameter. */
function secretThroughParameterStore(where: TaskContext, name: string): Parsed | null {
  const id = secretThroughReferencePath(name);
  if (id === null) return null;
  if (id === '') return { problem: `/${SECRETS_MANAGER_REFERENCE_PATH} must be followed by a secret name` };
  if (id.includes(':')) {
    return {
      problem: 'ECS reads the latest parameter version: name:version and name:label selectors are refused',
    };
  }
  return {
    kind: 'secretsmanager',
    partition: where.partition,
    region: where.region,
    account: where.account,
    id,
    jsonKey: null,
    versionStage: null,
    versionId: null,
  };
}

function ssmReference(where: TaskContext, name: string): Parsed {
  return {
    kind: 'ssm',
    partition: where.partition,
    region: where.region,
    account: where.account,
    id: name,
    jsonKey: null,
    versionStage: null,
    versionId: null,
  };
}

export function taskContextOf(taskDefinitionArn: string): TaskContext | null {
  const arn = parseArn(taskDefinitionArn);
  if (arn === null || arn.service !== 'ecs') return null;
  return { partition: arn.partition, region: arn.region, account: arn.account };
}

/** Every secret and parameter reference of every container (sidecars too) and volume. */
export function referencesOf(taskDefinition: TaskDefinitionShape): TaskDefinitionReferences {
  const context = taskContextOf(taskDefinition.taskDefinitionArn ?? '');
  if (context === null) {
    throw new TypeError(`not a task definition ARN: ${taskDefinition.taskDefinitionArn ?? '(none)'}`);
  }
  const references: Reference[] = [];
  const malformed: MalformedReference[] = [];
  const add = (container: string, field: ReferenceField, valueFrom: string | undefined) => {
    if (valueFrom === undefined) return;
    const parsed = parseValueFrom(valueFrom, field, context);
    if ('problem' in parsed) malformed.push({ container, field, valueFrom, problem: parsed.problem });
    else references.push({ container, field, valueFrom, ...parsed });
  };
  for (const container of taskDefinition.containerDefinitions ?? []) {
    const name = container.name ?? '(unnamed)';
    for (const secret of container.secrets ?? []) add(name, 'secrets', secret.valueFrom);
    for (const option of container.logConfiguration?.secretOptions ?? [])
      add(name, 'secretOptions', option.valueFrom);
    add(name, 'repositoryCredentials', container.repositoryCredentials?.credentialsParameter);
  }
  for (const volume of taskDefinition.volumes ?? []) {
    const credentials =
      volume.fsxWindowsFileServerVolumeConfiguration?.authorizationConfig?.credentialsParameter;
    add(`volume:${volume.name ?? '(unnamed)'}`, 'fsxCredentials', credentials);
  }
  return { references, malformed };
}

/** Does the reference name this secret or parameter? */
export function refersTo(reference: Reference, item: Item): boolean {
  if (reference.kind !== item.kind || reference.partition !== item.partition) return false;
  if (reference.region !== item.region) return false;
  if (item.account !== null && reference.account !== item.account) return false;
  if (item.kind === 'ssm') return reference.id === item.name;
  // A partial reference names the secret without its suffix: `prod/db` is `prod/db-AbCdEf`, never
  // `prod/db-admin-XyZ123`, so compare whole names, not prefixes.
  if (reference.id === item.name) return true;
  if (item.suffix !== null) return reference.id === `${item.name}-${item.suffix}`;
  return isSuffixedSecretId(reference.id, item.name);
}

/** Why a reference to the changed item does not need a redeploy, or null when its value changed. */
export type UnchangedReason = 'pinned-version' | 'stage-not-moved';

/**
 * Whether the value a new task would read through this reference is now different.
 * `movedLabels` is empty for SSM (every reference reads the latest version).
 */
export function unchangedReason(
  reference: Reference,
  change: { readonly kind: 'secretsmanager' | 'ssm'; readonly movedLabels: readonly string[] },
): UnchangedReason | null {
  if (change.kind === 'ssm') return null;
  if (reference.versionId !== null) return 'pinned-version';
  const stage = reference.versionStage ?? 'AWSCURRENT';
  if (change.movedLabels.includes(stage)) return null;
  // AWSPREVIOUS moves to the version that was current whenever AWSCURRENT moves.
  if (stage === 'AWSPREVIOUS' && change.movedLabels.includes('AWSCURRENT')) return null;
  return 'stage-not-moved';
}

/**
 * What a CLI query names, checked by the rules events are read by: a secret or parameter ARN, or a bare name
 * that Secrets Manager or Parameter Store (or both) would accept. Anything else is an InvalidQueryError.
 */
export type ItemQuery =
  | { readonly kind: 'arn'; readonly item: Item }
  | {
      readonly kind: 'name';
      readonly secret: { readonly name: string; readonly suffix: string | null } | null;
      readonly parameterName: string | null;
    };

export function parseItemQuery(query: string): ItemQuery {
  if (query.startsWith('arn:')) {
    const parsed = parseItemArn(query);
    if ('problem' in parsed)
      throw new InvalidQueryError(`"${query}" is not a secret or parameter ARN: ${parsed.problem}`);
    const { arn } = parsed;
    const where = { partition: arn.partition, region: arn.region, account: arn.account };
    if (arn.kind === 'secretsmanager') {
      return { kind: 'arn', item: { kind: 'secretsmanager', ...where, ...splitSecretId(arn.id) } };
    }
    // A query for `/aws/reference/secretsmanager/NAME` asks for secret NAME: no parameter of that name exists.
    const throughPath = secretThroughReferencePath(arn.name);
    return {
      kind: 'arn',
      item:
        throughPath === null
          ? { kind: 'ssm', ...where, name: arn.name }
          : { kind: 'secretsmanager', ...where, ...splitSecretId(throughPath) },
    };
  }
  const throughPath = secretThroughReferencePath(normaliseParameterName(query));
  if (throughPath !== null) {
    const problem = secretNameProblem(splitSecretId(throughPath).name);
    if (problem !== null) throw new InvalidQueryError(`"${query}" names no secret: ${problem}`);
    return { kind: 'name', secret: splitSecretId(throughPath), parameterName: null };
  }
  const secretProblem = secretNameProblem(query);
  const parameterProblem = parameterNameProblem(query);
  if (secretProblem !== null && parameterProblem !== null) {
    throw new InvalidQueryError(
      `"${query}" is neither a Secrets Manager or SSM parameter ARN nor a name either would accept: ${secretProblem}; ${parameterProblem}`,
    );
  }
  return {
    kind: 'name',
    secret: secretProblem === null ? { name: query, suffix: null } : null,
    parameterName: parameterProblem === null ? normaliseParameterName(query) : null,
  };
}

/** The items a CLI query names; a bare name is looked for in `where` (the Region the CLI scans). */
export function itemsNamedBy(
  query: string | ItemQuery,
  where: { partition: string; region: string },
): Item[] {
  const parsed = typeof query === 'string' ? parseItemQuery(query) : query;
  if (parsed.kind === 'arn') return [parsed.item];
  // A bare name can be a secret or a parameter; the account is whichever the scan covers.
  const items: Item[] = [];
  if (parsed.secret !== null)
    items.push({ kind: 'secretsmanager', ...where, account: null, ...parsed.secret });
  if (parsed.parameterName !== null) {
    items.push({ kind: 'ssm', ...where, account: null, name: parsed.parameterName });
  }
  return items;
}

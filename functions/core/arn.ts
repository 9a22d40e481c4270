/** The parts of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (RESOURCE may hold colons). */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

export function parseArn(value: string): Arn | null {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  if (partition === '' || service === '') return null;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/** Secrets Manager appends `-` and six letters or digits to a secret's name to make its ARN. */
const SECRET_SUFFIX = /^[A-Za-z0-9]{6}$/;

/** True when `id` is `name` followed by a Secrets Manager suffix. */
export function isSuffixedSecretId(id: string, name: string): boolean {
  return id.length === name.length + 7 && id.startsWith(`${name}-`) && SECRET_SUFFIX.test(id.slice(-6));
}

/**
 * Splits a secret id (`name-AbCdEf`, or a bare `name`) into name and suffix. A known name (an event's own
 * `name`) says where the name ends; without one, a last `-` and six letters or digits are taken for the
 * suffix, the shape every Secrets Manager suffix has.
 */
export function splitSecretId(id: string, knownName?: string): { name: string; suffix: string | null } {
  if (knownName !== undefined) {
    if (id === knownName) return { name: id, suffix: null };
    if (isSuffixedSecretId(id, knownName)) return { name: knownName, suffix: id.slice(knownName.length + 1) };
  }
  const dash = id.length - 7;
  if (dash > 0 && id[dash] === '-' && SECRET_SUFFIX.test(id.slice(dash + 1))) {
    return { name: id.slice(0, dash), suffix: id.slice(dash + 1) };
  }
  return { name: id, suffix: null };
}

/** SSM treats `/Name` and `Name` as the same parameter. */
export function normaliseParameterName(name: string): string {
  return name.replace(/^\/+/, '');
}

/** `N` → `arn:…:parameter/N`; `/a/b` → `arn:…:parameter/a/b` (no double slash). */
export function parameterArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:ssm:${region}:${account}:parameter/${normaliseParameterName(name)}`;
}

export function secretArn(partition: string, region: string, account: string, secretId: string): string {
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretId}`;
}

/** The partition a Region belongs to: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:aws:ecs:R:A:cluster/NAME` → NAME. */
export function clusterNameOf(clusterArn: string): string {
  return clusterArn.slice(clusterArn.lastIndexOf('/') + 1);
}

/** `arn:aws:ecs:R:A:service/CLUSTER/NAME` → CLUSTER; null for the old short format (`service/NAME`). */
export function clusterNameOfService(serviceArn: string): string | null {
  const parts = parseArn(serviceArn)?.resource.split('/') ?? [];
  return parts.length === 3 && parts[0] === 'service' ? (parts[1] ?? null) : null;
}

/** `…:secret:NAME-AbCdEf` → `NAME-AbCdEf`; null when the ARN is not a Secrets Manager secret's. */
export function secretIdOf(arn: string): string | null {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'secretsmanager' || !parsed.resource.startsWith('secret:')) return null;
  return parsed.resource.slice('secret:'.length);
}

/**
 * Parameter Store's reserved path for Secrets Manager: `/aws/reference/secretsmanager/NAME` (or its SSM ARN) reads
 * secret NAME's `AWSCURRENT` value through Parameter Store. ECS passes the name to SSM GetParameters as written,
 * so such a reference changes when the secret's AWSCURRENT moves, and never with a Parameter Store event.
 */
export const SECRETS_MANAGER_REFERENCE_PATH = 'aws/reference/secretsmanager/';

/** The secret id a normalised parameter name reads through the reserved path; null for any other name. */
export function secretThroughReferencePath(name: string): string | null {
  return name.startsWith(SECRETS_MANAGER_REFERENCE_PATH)
    ? name.slice(SECRETS_MANAGER_REFERENCE_PATH.length)
    : null;
}

/** Secrets Manager accepts a secret name of 1 to 512 ASCII letters, digits and the characters /_+=.@- */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** Parameter Store accepts letters, digits and _.- in a name, and / between the levels of a hierarchy. */
const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]+$/;
/** The longest parameter name a caller can create (the 2,048 characters AWS states include 1,037 of its own). */
const PARAMETER_NAME_MAX = 1011;
/** Parameter hierarchies are at most fifteen levels deep. */
const PARAMETER_LEVELS_MAX = 15;
const PARTITION = /^aws(-[a-z]+)*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

/** Why Secrets Manager would never accept `name` as a secret's name, or null when it would. */
export function secretNameProblem(name: string): string | null {
  if (!SECRET_NAME.test(name)) {
    return 'a secret name is 1 to 512 ASCII letters, digits and the characters /_+=.@-';
  }
  // Slashes alone name nothing a person would look for; refusing them keeps `who-uses /` from answering "none".
  if (/^\/+$/.test(name)) return 'a secret name needs more than slashes';
  return null;
}

/** Why Parameter Store would never accept `name` as a parameter's name, or null when it would. */
export function parameterNameProblem(name: string): string | null {
  if (!PARAMETER_NAME.test(name)) {
    return 'a parameter name is ASCII letters, digits and the characters _.- with / between hierarchy levels';
  }
  if (name.length > PARAMETER_NAME_MAX) {
    return `a parameter name is at most ${PARAMETER_NAME_MAX} characters`;
  }
  const levels = name.replace(/^\//, '').split('/');
  if (levels.some((level) => level === '')) {
    return 'a parameter name has no empty hierarchy level: no //, no / alone or at the end';
  }
  if (levels.length > PARAMETER_LEVELS_MAX) {
    return `a parameter hierarchy is at most ${PARAMETER_LEVELS_MAX} levels deep`;
  }
  return null;
}

/** A secret or parameter named by a full ARN, its parts checked. */
export type ItemArn =
  | {
      readonly kind: 'secretsmanager';
      readonly partition: string;
      readonly region: string;
      readonly account: string;
      /** The secret's name, with the six-character suffix when the ARN has it. */
      readonly id: string;
    }
  | {
      readonly kind: 'ssm';
      readonly partition: string;
      readonly region: string;
      readonly account: string;
      /** As in the ARN, without a leading slash. */
      readonly name: string;
    };

/**
 * Reads the ARN of a secret (`arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:ID`) or a parameter
 * (`arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME`), or says what is wrong with it. The one reading of such
 * an ARN, for events and queries alike: a reference's `:json-key:stage:version` tail is no part of an ARN, so
 * an ARN with more colons is refused.
 */
export function parseItemArn(value: string): { readonly arn: ItemArn } | { readonly problem: string } {
  const parts = value.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) {
    return { problem: 'an ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE' };
  }
  const [, partition = '', service = '', region = '', account = ''] = parts;
  if (service !== 'secretsmanager' && service !== 'ssm') {
    return {
      problem: `only Secrets Manager secrets and SSM parameters are looked for, not ${service || 'an empty service'}`,
    };
  }
  const shape =
    service === 'secretsmanager'
      ? 'arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME'
      : 'arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME';
  if (!PARTITION.test(partition)) return { problem: `"${partition}" is not an AWS partition (${shape})` };
  if (!REGION.test(region)) return { problem: `"${region}" is not a Region (${shape})` };
  if (!ACCOUNT.test(account)) return { problem: `"${account}" is not a 12-digit account id (${shape})` };
  if (service === 'secretsmanager') {
    if (parts.length !== 7 || parts[5] !== 'secret') return { problem: `a secret ARN is ${shape}` };
    const id = parts[6] ?? '';
    const problem = secretNameProblem(splitSecretId(id).name);
    return problem === null
      ? { arn: { kind: 'secretsmanager', partition, region, account, id } }
      : { problem: `${problem} (${shape})` };
  }
  const resource = parts.slice(5).join(':');
  if (parts.length !== 6 || !resource.startsWith('parameter/'))
    return { problem: `a parameter ARN is ${shape}` };
  const name = resource.slice('parameter/'.length);
  const throughPath = secretThroughReferencePath(name);
  // `/a/b` is `parameter/a/b` in an ARN: a slash right after `parameter/` is an empty level. Under the
  // reserved path the rest is a secret's name (or full id), held to the secret name rule.
  const problem = name.startsWith('/')
    ? 'a parameter ARN has one slash after "parameter"'
    : throughPath !== null
      ? secretNameProblem(splitSecretId(throughPath).name)
      : parameterNameProblem(name);
  return problem === null
    ? { arn: { kind: 'ssm', partition, region, account, name: normaliseParameterName(name) } }
    : { problem: `${problem} (${shape})` };
}

/** An AWS account id: exactly twelve digits. */
export function isAccountId(text: string): boolean {
  return ACCOUNT.test(text);
}

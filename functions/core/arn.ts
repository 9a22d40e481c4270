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

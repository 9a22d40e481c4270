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

/** Splits a full secret id (`name-AbCdEf`) into name and suffix when it has the suffix's shape. */
export function splitSecretId(id: string): { name: string; suffix: string | null } {
  const dash = id.length - 7;
  if (dash > 0 && id[dash] === '-' && SECRET_SUFFIX.test(id.slice(dash + 1))) {
    return { name: id.slice(0, dash), suffix: id.slice(dash + 1) };
  }
  return { name: id, suffix: null };
}

/** True when `id` is `name` followed by a Secrets Manager suffix. */
export function isSuffixedSecretId(id: string, name: string): boolean {
  return id.length === name.length + 7 && id.startsWith(`${name}-`) && SECRET_SUFFIX.test(id.slice(-6));
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

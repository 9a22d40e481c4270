/**
 * When the value a reference reads became current, and whether a service's newest deployment is older: the
 * rules of the audit. Pure: the metadata (never a value) and the move times seen in events come in as data.
 *
 * Secrets Manager records no time for a label move, so without an event the creation time of the version a
 * label points to stands in for it: a lower bound, as no label can point to a version before it exists.
 */

import { normaliseParameterName, parameterArn, splitSecretId } from './arn.ts';
import type { Change, ParsedEvent } from './change.ts';
import { itemChangeKey } from './change-key.ts';
import type { Reference } from './reference.ts';
import { type Service, type ServiceSkipReason, serviceSkipReason } from './service.ts';

/** What to ask to learn when an item's values became current: one per distinct secret id or parameter. */
export type ItemQuery =
  | {
      readonly kind: 'secretsmanager';
      readonly partition: string;
      readonly region: string;
      readonly account: string;
      /** As the reference wrote it: the full id (`name-AbCdEf`) or the name alone (a partial ARN or a bare name). */
      readonly secretId: string;
    }
  | {
      readonly kind: 'ssm';
      readonly partition: string;
      readonly region: string;
      readonly account: string;
      /** Normalised: no leading slash. */
      readonly name: string;
    };

/** A secret's labelled versions and when each was created (ListSecretVersionIds: metadata only). */
export interface SecretVersions {
  readonly kind: 'secretsmanager';
  /** The full ARN, with the six-character suffix. */
  readonly arn: string;
  readonly name: string;
  readonly versions: readonly {
    readonly versionId: string;
    readonly stages: readonly string[];
    /** Epoch milliseconds. */
    readonly createdAt: number;
  }[];
}

/** A parameter's latest version and when it was written (DescribeParameters: metadata only). */
export interface ParameterVersion {
  readonly kind: 'ssm';
  readonly arn: string;
  readonly name: string;
  readonly version: string;
  /** Epoch milliseconds. */
  readonly lastModifiedAt: number;
}

export type ItemMetadata = SecretVersions | ParameterVersion;

/** The metadata of one query, or why it could not be read (`ErrorName: message`). */
export type MetadataAnswer = { readonly ok: ItemMetadata } | { readonly error: string };

/**
 * A label move (or a parameter write) the change functions saw in an event: exact where metadata only gives
 * a bound. `version` is the version the label pointed to then; null when it could not be told.
 */
export interface MoveRecord {
  readonly key: string;
  readonly version: string | null;
  /** Epoch milliseconds: the event's time. */
  readonly at: number;
  /** The change key the event path used, so that a reconcile of the same value shares it. */
  readonly changeKey: string;
}

/** The item a stale reference reads, as a report names it. */
export interface StaleItem {
  readonly kind: 'secretsmanager' | 'ssm';
  readonly arn: string;
  readonly name: string;
}

/** When the value read through a reference became current, or why that is not a question. */
export type ValueAge =
  | { readonly state: 'pinned' }
  | { readonly state: 'unknown'; readonly reason: string }
  | {
      readonly state: 'known';
      readonly item: StaleItem;
      /** The label whose move made the value current (AWSCURRENT for AWSPREVIOUS); null for SSM. */
      readonly label: string | null;
      readonly version: string | null;
      /** Epoch milliseconds. */
      readonly changedAt: number;
      /** True when the time is one an event reported; false when it is the version's creation (a bound). */
      readonly exact: boolean;
      /** The key the event path gives the change that made this value current. */
      readonly changeKey: string;
    };

export function queryOf(reference: Reference): ItemQuery {
  const { partition, region, account } = reference;
  return reference.kind === 'ssm'
    ? { kind: 'ssm', partition, region, account, name: reference.id }
    : { kind: 'secretsmanager', partition, region, account, secretId: reference.id };
}

/** One string per distinct query, so references to one item share one read. */
export function queryKey(query: ItemQuery): string {
  const id = query.kind === 'ssm' ? query.name : query.secretId;
  return [query.kind, query.partition, query.region, query.account, id].join('|');
}

/** Whether a secret query names the full id (with the suffix), which needs no other query to tell it apart. */
export function isFullSecretId(query: ItemQuery): boolean {
  return query.kind === 'secretsmanager' && splitSecretId(query.secretId).suffix !== null;
}

/**
 * The answer a partial secret id (`prod/db`) can take from a full one already read (`prod/db-AbCdEf`): the
 * same name in the same account and Region is the same secret, so one read serves both.
 */
export function answerByName(
  query: ItemQuery,
  answered: Iterable<readonly [ItemQuery, MetadataAnswer]>,
): MetadataAnswer | undefined {
  if (query.kind !== 'secretsmanager' || isFullSecretId(query)) return undefined;
  for (const [other, answer] of answered) {
    if (
      other.kind === 'secretsmanager' &&
      'ok' in answer &&
      other.partition === query.partition &&
      other.region === query.region &&
      other.account === query.account &&
      answer.ok.name === query.secretId
    ) {
      return answer;
    }
  }
  return undefined;
}

/** The name DescribeParameters knows a parameter by: hierarchical names start with `/`, plain ones do not. */
export function describedParameterName(name: string): string {
  const normalised = normaliseParameterName(name);
  return normalised.includes('/') ? `/${normalised}` : normalised;
}

/** Where a move of `label` of the item (no label for SSM) is kept. */
export function moveKey(
  item: { readonly kind: 'secretsmanager' | 'ssm'; readonly arn: string },
  label: string | null,
) {
  return item.kind === 'ssm' ? `${item.arn}` : `${item.arn}|${label ?? 'AWSCURRENT'}`;
}

/**
 * When the value a new task would read through `reference` became current. A version id pins a value that
 * never changes. AWSPREVIOUS moves whenever AWSCURRENT does, onto the version that was current: the moment its
 * value became what it is is the moment AWSCURRENT moved to its current version.
 */
export function valueAgeOf(
  reference: Reference,
  answer: MetadataAnswer | undefined,
  moves: ReadonlyMap<string, MoveRecord>,
): ValueAge {
  if (reference.kind === 'secretsmanager' && reference.versionId !== null) return { state: 'pinned' };
  if (reference.kind === 'ssm') return parameterAge(reference, answer, moves);
  if (answer === undefined) return { state: 'unknown', reason: `${reference.valueFrom} was not looked up` };
  if ('error' in answer) return { state: 'unknown', reason: answer.error };
  const secret = answer.ok;
  if (secret.kind !== 'secretsmanager') return { state: 'unknown', reason: `${secret.arn} is not a secret` };
  const stage = reference.versionStage ?? 'AWSCURRENT';
  const label = stage === 'AWSPREVIOUS' ? 'AWSCURRENT' : stage;
  const version = secret.versions.find((candidate) => candidate.stages.includes(label));
  if (version === undefined) {
    return { state: 'unknown', reason: `no version of ${secret.arn} has the label ${label}` };
  }
  const item: StaleItem = { kind: 'secretsmanager', arn: secret.arn, name: secret.name };
  const seen = moves.get(moveKey(item, label));
  if (seen !== undefined && seen.version === version.versionId) {
    return {
      state: 'known',
      item,
      label,
      version: version.versionId,
      changedAt: seen.at,
      exact: true,
      changeKey: seen.changeKey,
    };
  }
  return {
    state: 'known',
    item,
    label,
    version: version.versionId,
    changedAt: version.createdAt,
    exact: false,
    changeKey: itemChangeKey(item.kind, item.arn, label, version.versionId),
  };
}

/**
 * ECS reads a parameter's latest version, and `LastModifiedDate` is when it was written: exact. A parameter
 * DescribeParameters cannot answer for (another account's) falls back to the last write an event reported.
 */
function parameterAge(
  reference: Reference,
  answer: MetadataAnswer | undefined,
  moves: ReadonlyMap<string, MoveRecord>,
): ValueAge {
  const arn = parameterArn(reference.partition, reference.region, reference.account, reference.id);
  const item: StaleItem = { kind: 'ssm', arn, name: describedParameterName(reference.id) };
  const seen = moves.get(moveKey(item, null));
  if (answer !== undefined && 'ok' in answer && answer.ok.kind === 'ssm') {
    const { version, lastModifiedAt } = answer.ok;
    const exactSeen = seen !== undefined && seen.version === version;
    return {
      state: 'known',
      item,
      label: null,
      version,
      changedAt: lastModifiedAt,
      exact: true,
      changeKey: exactSeen ? seen.changeKey : itemChangeKey('ssm', arn, null, version),
    };
  }
  if (seen !== undefined && seen.version === null) {
    return {
      state: 'known',
      item,
      label: null,
      version: null,
      changedAt: seen.at,
      exact: true,
      changeKey: seen.changeKey,
    };
  }
  if (answer === undefined) return { state: 'unknown', reason: `${reference.valueFrom} was not looked up` };
  return { state: 'unknown', reason: 'error' in answer ? answer.error : `${arn} is not a parameter` };
}

/** One value a service's tasks may still hold an older version of. */
export interface StaleValue {
  readonly item: StaleItem;
  readonly label: string | null;
  readonly version: string | null;
  /** Epoch milliseconds. */
  readonly changedAt: number;
  readonly exact: boolean;
  readonly changeKey: string;
  /** The service's newest deployment, epoch milliseconds; null when ECS reported none. */
  readonly deployedAt: number | null;
}

/** The part of a service the audit judges. */
export type AuditedService = Pick<Service, 'desiredCount' | 'deploymentController' | 'tags' | 'deployedAt'>;

export type AuditVerdict =
  | { readonly verdict: 'fresh' }
  | {
      readonly verdict: 'stale';
      /** Null: redeploy it; otherwise why it is left alone. */
      readonly skip: ServiceSkipReason | null;
      readonly stale: readonly StaleValue[];
      readonly references: readonly Reference[];
    }
  | { readonly verdict: 'unknown'; readonly reason: string; readonly references: readonly Reference[] };

/**
 * Whether a service runs a value that changed after its newest deployment was created. A service without a
 * deployment time cannot be shown fresh, so it counts as stale. A service the tool would never redeploy is
 * not reported for a value it could not date, nor when its own deployment time is unknown.
 */
export function auditService(
  service: AuditedService,
  references: readonly Reference[],
  ageOf: (reference: Reference) => ValueAge,
): AuditVerdict {
  const stale = new Map<string, StaleValue>();
  const staleReferences: Reference[] = [];
  const unknown: { reference: Reference; reason: string }[] = [];
  for (const reference of references) {
    const age = ageOf(reference);
    if (age.state === 'pinned') continue;
    if (age.state === 'unknown') {
      unknown.push({ reference, reason: age.reason });
      continue;
    }
    if (service.deployedAt !== null && service.deployedAt >= age.changedAt) continue;
    staleReferences.push(reference);
    // Two containers reading one value make one stale value.
    stale.set(age.changeKey, {
      item: age.item,
      label: age.label,
      version: age.version,
      changedAt: age.changedAt,
      exact: age.exact,
      changeKey: age.changeKey,
      deployedAt: service.deployedAt,
    });
  }
  const skip = serviceSkipReason(service);
  // Without a deployment time a skipped service is only possibly stale, and the tool would not act on it.
  if (stale.size > 0 && !(skip !== null && service.deployedAt === null)) {
    return {
      verdict: 'stale',
      skip,
      stale: [...stale.values()].sort((a, b) => a.changeKey.localeCompare(b.changeKey)),
      references: staleReferences,
    };
  }
  if (unknown.length === 0 || skip !== null) return { verdict: 'fresh' };
  const reasons = [...new Set(unknown.map(({ reference, reason }) => `${reference.valueFrom}: ${reason}`))];
  return {
    verdict: 'unknown',
    reason: `cannot tell when the value it reads became current (${reasons.join('; ')})`,
    references: unknown.map(({ reference }) => reference),
  };
}

/**
 * The move an event reports, to keep as exact: a secret label's move when the event names the version the
 * label points to now (an event of an older value, delivered late, is no time for the current one), or the
 * write of a parameter DescribeParameters could not answer for (another account's), whose time is then the
 * best there is. Other parameters need none: `LastModifiedDate` is exact.
 * @param currentVersion the version metadata says the label (or parameter) points to now; null when unread
 */
export function moveSeen(
  parsed: ParsedEvent,
  change: Change,
  currentVersion: string | null,
  changeKey: string,
): MoveRecord | null {
  if (parsed.time === null) return null;
  if (change.kind === 'ssm') {
    if (currentVersion !== null) return null;
    return { key: moveKey(change, null), version: null, at: parsed.time, changeKey };
  }
  const fullArn = change.item.kind === 'secretsmanager' && change.item.suffix !== null;
  if (!fullArn || change.label === null || currentVersion === null || change.versionId !== currentVersion) {
    return null;
  }
  return { key: moveKey(change, change.label), version: currentVersion, at: parsed.time, changeKey };
}

/**
 * The audit: one scan, then for every distinct secret and parameter the services reference, when the value
 * each reference reads became current (metadata only), then the services whose newest deployment is older.
 * With `fix`, those are redeployed (or queued, in the stack) under the keys the event path would give them.
 */
import { parameterArn, parseArn } from '../core/arn.ts';
import {
  type AuditOutcome,
  type AuditReport,
  buildAuditReport,
  reportedStaleValues,
} from '../core/audit-report.ts';
import { createLimiter } from '../core/bounded.ts';
import type { Invocation, ItemMetadataReader, MoveTimes } from '../core/ports.ts';
import type { RedeployMessage } from '../core/queue-message.ts';
import type { Reference } from '../core/reference.ts';
import { deferredReason, failureReason, outcomeOf } from '../core/report.ts';
import type { Service } from '../core/service.ts';
import {
  type AuditVerdict,
  answerByName,
  auditService,
  type ItemQuery,
  isFullSecretId,
  type MetadataAnswer,
  type MoveRecord,
  moveKey,
  queryKey,
  queryOf,
  type StaleValue,
  valueAgeOf,
} from '../core/staleness.ts';
import { enqueueRedeploys } from './enqueue-redeploys.ts';
import type { Delivery } from './handle-change.ts';
import { type ScanPorts, scan } from './scan.ts';

export interface AuditPorts extends ScanPorts {
  readonly metadata: ItemMetadataReader;
  /** Label moves seen in events, preferred to the metadata's bounds; none in the CLI. */
  readonly moves?: MoveTimes | undefined;
  /** How `fix` redeploys: UpdateService now (the CLI), or one message per stale value (the stack). */
  readonly delivery: Delivery;
}

export interface AuditOptions {
  /** Redeploy the stale services; otherwise report them as `would-redeploy`. */
  readonly fix: boolean;
  readonly concurrency: number;
}

/** The `trigger` of the change a queued audit redeploy carries. */
export const AUDIT_TRIGGER = 'audit';

export async function audit(
  ports: AuditPorts,
  options: AuditOptions,
  invocation: Invocation = { now: () => Date.now() },
): Promise<AuditReport> {
  const now = () => invocation.now();
  const started = now();
  const { users, unreadable, scanned } = await scan(ports, options.concurrency, (references) => [
    ...references,
  ]);
  const { answers, items } = await readMetadata(ports.metadata, users);
  const moves = await readMoves(ports.moves, answers, users);
  const verdicts = users.map(({ service, references }) => ({
    service,
    verdict: auditService(service, references, (reference) =>
      valueAgeOf(reference, answers.get(queryKey(queryOf(reference))), moves),
    ),
  }));
  const outcomes = await act(ports.delivery, options, verdicts, now());
  for (const { service, error } of unreadable) {
    outcomes.push({
      ...outcomeOf(service, [], 'failed', `task definition unreadable: ${failureReason(error)}`),
      stale: [],
    });
  }
  return buildAuditReport({
    dryRun: !options.fix,
    outcomes,
    scanned: { ...scanned, items },
    durationMs: now() - started,
  });
}

/**
 * One read per distinct item. Full secret ids and parameters first; a partial id (`prod/db`) then takes
 * the answer of the full id of the same name when one was read. DescribeParameters answers only for the
 * account the tool runs in (the services' account), so another account's parameter is not asked for.
 */
async function readMetadata(
  reader: ItemMetadataReader,
  users: readonly { service: Service; references: readonly Reference[] }[],
): Promise<{ answers: Map<string, MetadataAnswer>; items: number }> {
  const queries = new Map<string, ItemQuery>();
  const ownAccounts = new Set(users.map(({ service }) => parseArn(service.serviceArn)?.account));
  for (const { references } of users) {
    for (const reference of references) {
      if (reference.kind === 'secretsmanager' && reference.versionId !== null) continue;
      const query = queryOf(reference);
      queries.set(queryKey(query), query);
    }
  }
  const answers = new Map<string, MetadataAnswer>();
  const first: ItemQuery[] = [];
  const partial: ItemQuery[] = [];
  for (const [key, query] of queries) {
    if (query.kind === 'ssm' && !ownAccounts.has(query.account)) {
      answers.set(key, {
        error: `DescribeParameters answers only for account ${[...ownAccounts].join(', ')}, not ${query.account}`,
      });
    } else if (query.kind === 'secretsmanager' && !isFullSecretId(query)) {
      partial.push(query);
    } else {
      first.push(query);
    }
  }
  for (const [key, answer] of await reader.read(first)) answers.set(key, answer);
  const answered = first.flatMap((query) => {
    const answer = answers.get(queryKey(query));
    return answer === undefined ? [] : [[query, answer] as const];
  });
  const unanswered: ItemQuery[] = [];
  for (const query of partial) {
    const known = answerByName(query, answered);
    if (known === undefined) unanswered.push(query);
    else answers.set(queryKey(query), known);
  }
  for (const [key, answer] of await reader.read(unanswered)) answers.set(key, answer);
  return { answers, items: queries.size };
}

/** The moves events reported for every label and parameter the services read. */
async function readMoves(
  moves: MoveTimes | undefined,
  answers: ReadonlyMap<string, MetadataAnswer>,
  users: readonly { references: readonly Reference[] }[],
): Promise<ReadonlyMap<string, MoveRecord>> {
  if (moves === undefined) return new Map();
  const keys = new Set<string>();
  for (const answer of answers.values()) {
    if (!('ok' in answer) || answer.ok.kind !== 'secretsmanager') continue;
    for (const version of answer.ok.versions) {
      for (const label of version.stages) keys.add(moveKey(answer.ok, label));
    }
  }
  for (const { references } of users) {
    for (const reference of references) {
      if (reference.kind !== 'ssm') continue;
      const arn = parameterArn(reference.partition, reference.region, reference.account, reference.id);
      keys.add(moveKey({ kind: 'ssm', arn }, null));
    }
  }
  return moves.getMany([...keys]);
}

/** The queue message of one stale value: the change the event path would have keyed the same way. */
function messageOf(service: Service, value: StaleValue): RedeployMessage {
  const arn = parseArn(value.item.arn);
  return {
    service: {
      serviceArn: service.serviceArn,
      serviceName: service.serviceName,
      clusterArn: service.clusterArn,
    },
    changeKey: value.changeKey,
    change: {
      kind: value.item.kind,
      arn: value.item.arn,
      name: value.item.name,
      account: arn?.account ?? '',
      region: arn?.region ?? '',
      label: value.label,
      versionId: value.version,
      trigger: AUDIT_TRIGGER,
    },
  };
}

/** Each verdict → its outcome; stale services redeployed, queued or reported as the options say. */
async function act(
  delivery: Delivery,
  options: AuditOptions,
  verdicts: readonly { service: Service; verdict: AuditVerdict }[],
  now: number,
): Promise<AuditOutcome[]> {
  const outcomes: AuditOutcome[] = [];
  const toRedeploy: { service: Service; verdict: Extract<AuditVerdict, { verdict: 'stale' }> }[] = [];
  for (const { service, verdict } of verdicts) {
    if (verdict.verdict === 'fresh') continue;
    if (verdict.verdict === 'unknown') {
      outcomes.push({ ...outcomeOf(service, verdict.references, 'failed', verdict.reason), stale: [] });
      continue;
    }
    const stale = reportedStaleValues(verdict.stale);
    if (verdict.skip !== null) {
      outcomes.push({ ...outcomeOf(service, verdict.references, 'skipped', verdict.skip), stale });
    } else if (!options.fix) {
      outcomes.push({ ...outcomeOf(service, verdict.references, 'would-redeploy'), stale });
    } else {
      toRedeploy.push({ service, verdict });
    }
  }
  if (toRedeploy.length === 0) return outcomes;
  if (delivery.kind === 'queued') {
    // All or nothing, as for a change: a failed hand-off fails the run, and the next run hands off again
    // (the worker redeploys a service once per change key, so a second hand-off costs nothing).
    const held = await enqueueRedeploys(
      toRedeploy.flatMap(({ service, verdict }) => verdict.stale.map((value) => messageOf(service, value))),
      delivery,
      delivery.coalesceSeconds,
      now,
    );
    for (const { service, verdict } of toRedeploy) {
      const back = held.get(service.serviceArn);
      const outcome =
        back === undefined
          ? outcomeOf(service, verdict.references, 'queued')
          : outcomeOf(service, verdict.references, 'deferred', deferredReason(back.recent, back.allowedAt));
      outcomes.push({ ...outcome, stale: reportedStaleValues(verdict.stale) });
    }
    return outcomes;
  }
  const { redeployer } = delivery;
  const limit = createLimiter(options.concurrency);
  await Promise.all(
    toRedeploy.map(({ service, verdict }) =>
      limit(() => redeployer.redeploy(service))
        .then(
          ({ deploymentId }) => ({
            ...outcomeOf(service, verdict.references, 'redeployed', null, deploymentId),
          }),
          // One service's failure is that service's outcome; the others go on.
          (error: unknown) => outcomeOf(service, verdict.references, 'failed', failureReason(error)),
        )
        .then((outcome) => void outcomes.push({ ...outcome, stale: reportedStaleValues(verdict.stale) })),
    ),
  );
  return outcomes;
}

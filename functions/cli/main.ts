/** The CLI's outermost layer: the only place that reads files, prints and picks exit codes. */
import { readFile } from 'node:fs/promises';
import { audit } from '../app/audit.ts';
import { type FollowProgress, settleReport } from '../app/follow-rollouts.ts';
import { redeployForChanges } from '../app/handle-changes.ts';
import { whoUses } from '../app/who-uses.ts';
import { type AwsClients, type ClientOptions, createAwsClients } from '../aws/clients.ts';
import { partitionOf } from '../core/arn.ts';
import { type ParsedEvent, parseEventJson } from '../core/change.ts';
import { RefusedInputError } from '../core/errors.ts';
import { itemsNamedBy, parseItemQuery } from '../core/reference.ts';
import { type Report, type ServiceOutcome, withRollouts } from '../core/report.ts';
import { auditAdapters, changeAdapters, rolloutReaders } from '../wiring/adapters.ts';
import { localInvocation } from '../wiring/invocation.ts';
import { LIMITS } from '../wiring/limits.ts';
import { type Command, parseArgs, SELECTED, USAGE, UsageError } from './args.ts';
import { printable, printableJson } from './printable.ts';
import { progressLine, renderAuditReport, renderReport, renderWhoUses } from './render.ts';

export const EXIT = { done: 0, failed: 1, refused: 2 } as const;

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Progress lines; only on a terminal. */
  readonly progress: (text: string) => void;
  readonly readText: (file: string) => Promise<string>;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  progress: (text) => {
    if (process.stderr.isTTY) process.stderr.write(`${text}\n`);
  },
  readText: (file) => (file === '-' ? readStdin() : readFile(file, 'utf8')),
};

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Makes the SDK clients for a command; the real ones unless a test gives its own. */
export type ClientFactory = (options: ClientOptions) => AwsClients;

async function execute(
  command: Exclude<Command, { name: 'help' }>,
  io: Io,
  createClients: ClientFactory,
): Promise<number> {
  // Refused before any AWS call: a query that names nothing is an error, never "no service uses it".
  const query = command.name === 'who-uses' ? parseItemQuery(command.query) : null;
  // An operator's run paces to the tool's default share of the account's ECS buckets, as the stack does in all.
  const clients = createClients({ region: command.region, ecsShare: LIMITS.ecsShare.default });
  const invocation = localInvocation();
  const warnings = {
    unplaceable: (serviceArn: string) =>
      io.stderr(
        `warning: ${printable(serviceArn)} is in the short ARN format; its cluster cannot be told, so it is skipped`,
      ),
  };
  if (command.name === 'audit') {
    const region = await clients.ecs.config.region();
    io.progress(
      `Auditing ${SELECTED[command.selection]} in ${region}${command.fix ? ', redeploying stale services' : ''}...`,
    );
    const report = await audit(
      auditAdapters(clients, command, warnings),
      { fix: command.fix, concurrency: command.concurrency },
      invocation,
    );
    io.stdout(command.json ? JSON.stringify(report, null, 2) : renderAuditReport(report));
    // Stale services are what an audit is for, not a failure: only what could not be done or judged is.
    return report.summary.failed > 0 ? EXIT.failed : EXIT.done;
  }
  const ports = changeAdapters(clients, command, warnings);
  if (command.name === 'who-uses') {
    const region = await clients.ecs.config.region();
    const items = itemsNamedBy(query ?? command.query, { partition: partitionOf(region), region });
    io.progress(`Scanning ${SELECTED[command.selection]} in ${region}...`);
    const report = await whoUses(command.query, items, ports, command.concurrency, invocation);
    io.stdout(command.json ? printableJson(report) : renderWhoUses(report));
    return report.unreadable.length > 0 ? EXIT.failed : EXIT.done;
  }
  // Every event is read and parsed before anything is looked at: one refused event refuses them all.
  const events = await readEvents(command.eventFiles, io);
  const changed = events.flatMap((parsed) => (parsed.ignored === null ? [printable(parsed.change.arn)] : []));
  if (changed.length > 0) io.progress(`Finding the services that use ${changed.join(', ')}...`);
  const runStartedAt = invocation.now();
  const results = await redeployForChanges(
    events,
    ports,
    { dryRun: command.name === 'plan', concurrency: command.concurrency },
    invocation,
  );
  let reports = results.map((result) => {
    // Without a state table no change is claimed, so only a failed scan fails, and that throws instead.
    if ('error' in result) throw result.error;
    return result.report;
  });
  const wait = command.name === 'run' ? command.wait : null;
  if (wait !== null && reports.some((report) => report.summary.redeployed > 0)) {
    reports = await settleReports(reports, rolloutReaders(clients), {
      pollMs: wait.pollSeconds * 1000,
      timeoutMs: wait.timeoutSeconds * 1000,
      runStartedAt,
      concurrency: command.concurrency,
      onProgress: (progress) => io.progress(progressLine(progress)),
    });
  }
  if (command.json) {
    // One event: the report as before; several: one compact JSON object a line (JSON Lines), in order.
    const [only] = reports;
    io.stdout(
      reports.length === 1 && only !== undefined
        ? printableJson(only)
        : reports.map((report) => printableJson(report, 0)).join('\n'),
    );
  } else {
    io.stdout(reports.map(renderReport).join('\n\n'));
  }
  const failures = reports.map(
    ({ summary }) => summary.failed + (summary.rolloutFailed ?? 0) + (summary.timedOut ?? 0),
  );
  return failures.some((count) => count > 0) ? EXIT.failed : EXIT.done;
}

/** Reads and parses every event file; a file that cannot be read or parsed is refused, naming it when there are several. */
async function readEvents(files: readonly string[], io: Io): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await io.readText(file);
    } catch (error) {
      throw new UsageError(`cannot read the event file "${file}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      events.push(parseEventJson(text));
    } catch (error) {
      if (files.length === 1 || !(error instanceof RefusedInputError)) throw error;
      throw new UsageError(`the event file "${file}" is refused: ${error.message}`, { cause: error });
    }
  }
  return events;
}

/**
 * Follows every deployment the run started once, however many reports name it (a deployment that carried
 * several changes is in each of their reports), and settles each report with what was seen.
 */
async function settleReports(
  reports: readonly Report[],
  readers: Parameters<typeof settleReport>[1],
  options: Parameters<typeof settleReport>[2] & { readonly onProgress: (progress: FollowProgress) => void },
): Promise<Report[]> {
  const [first] = reports;
  if (reports.length === 1 && first !== undefined) return [await settleReport(first, readers, options)];
  const deployed = new Map<string, ServiceOutcome>();
  for (const report of reports) {
    for (const service of report.services) {
      if (service.action === 'redeployed' && !deployed.has(service.serviceArn))
        deployed.set(service.serviceArn, service);
    }
  }
  if (first === undefined) return [];
  const followed = await settleReport({ ...first, services: [...deployed.values()] }, readers, options);
  const rollouts = new Map(
    followed.services.flatMap((service) =>
      service.rollout === undefined ? [] : [[service.serviceArn, service.rollout] as const],
    ),
  );
  return reports.map((report) => withRollouts(report, rollouts));
}

export async function main(
  argv: readonly string[],
  io: Io = processIo,
  createClients: ClientFactory = createAwsClients,
): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.name === 'help') {
      io.stdout(USAGE);
      return EXIT.done;
    }
    return await execute(command, io, createClients);
  } catch (error) {
    if (error instanceof RefusedInputError) {
      io.stderr(`rotation-redeploy: ${printable(error.message)}`);
      return EXIT.refused;
    }
    // AWS or network trouble: the scan could not finish, so nothing can be promised about any service.
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`rotation-redeploy: the scan did not finish (${printable(`${name}: ${message}`)})`);
    return EXIT.failed;
  }
}

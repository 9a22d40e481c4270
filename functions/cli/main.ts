/** The CLI's outermost layer: the only place that reads files, prints and picks exit codes. */
import { readFile } from 'node:fs/promises';
import { audit } from '../app/audit.ts';
import { settleReport } from '../app/follow-rollouts.ts';
import { redeployForChange } from '../app/handle-change.ts';
import { whoUses } from '../app/who-uses.ts';
import { type AwsClients, type ClientOptions, createAwsClients } from '../aws/clients.ts';
import { partitionOf } from '../core/arn.ts';
import { parseEventJson } from '../core/change.ts';
import { RefusedInputError } from '../core/errors.ts';
import { itemsNamedBy, parseItemQuery } from '../core/reference.ts';
import type { Report } from '../core/report.ts';
import { auditAdapters, changeAdapters, rolloutReaders } from '../wiring/adapters.ts';
import { localInvocation } from '../wiring/invocation.ts';
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
  const clients = createClients({ region: command.region });
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
  let text: string;
  try {
    text = await io.readText(command.eventFile);
  } catch (error) {
    throw new UsageError(`cannot read the event file "${command.eventFile}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = parseEventJson(text);
  if (parsed.ignored === null)
    io.progress(`Finding the services that use ${printable(parsed.change.arn)}...`);
  const runStartedAt = invocation.now();
  let report: Report = await redeployForChange(
    parsed,
    ports,
    { dryRun: command.name === 'plan', concurrency: command.concurrency },
    invocation,
  );
  const wait = command.name === 'run' ? command.wait : null;
  if (wait !== null && report.summary.redeployed > 0) {
    io.progress(
      `Following ${report.summary.redeployed} rollouts (every ${wait.pollSeconds} s, at most ${wait.timeoutSeconds} s)...`,
    );
    report = await settleReport(report, rolloutReaders(clients), {
      pollMs: wait.pollSeconds * 1000,
      timeoutMs: wait.timeoutSeconds * 1000,
      runStartedAt,
      concurrency: command.concurrency,
      onProgress: (progress) => io.progress(progressLine(progress)),
    });
  }
  io.stdout(command.json ? printableJson(report) : renderReport(report));
  const { failed, rolloutFailed = 0, timedOut = 0 } = report.summary;
  return failed + rolloutFailed + timedOut > 0 ? EXIT.failed : EXIT.done;
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

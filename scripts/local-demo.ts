/**
 * `npm start`: the whole automation, end to end, on this machine, with no AWS account.
 *
 * Starts moto_server (or uses AWS_ENDPOINT_URL), seeds a small account, then plays real changes: new
 * values written with the Secrets Manager and SSM APIs, the EventBridge event AWS would deliver for each,
 * handed to the very bundles `cdk deploy` uploads (dist/<name>/index.mjs), and the redeploy queue drained
 * through the worker bundle as the Lambda SQS event source would. Prints each report and what changed.
 * `npm start -- --verdict FILE` also writes the verdict (scripts/demo/verdict.ts) to FILE as JSON.
 *
 * The bundles' own JSON log lines go to a file (printed at the end), not to the terminal. Secret values
 * are written, never printed. Exit codes: 0 every service ended as expected, 1 otherwise or the demo
 * stopped, 2 refused input or moto_server missing.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DemoError } from './demo/demo-error.ts';
import { chooseEmulator } from './demo/emulator-choice.ts';
import { FunctionLogs } from './demo/function-logs.ts';
import { complain, say, wrap } from './demo/output.ts';
import { play } from './demo/play.ts';
import type { DemoVerdict } from './demo/verdict.ts';
import { MotoMissingError } from './emulator.ts';

const MOTO_MISSING = [
  '',
  'npm start needs moto_server, the local AWS emulator, and it is not on PATH.',
  "Install it with:  pip install 'moto[server]'",
  "(checked against moto 5.2.1: pip install 'moto[server]==5.2.1'), make sure the directory it",
  'installs moto_server into is on PATH, and run npm start again.',
  'Or point the demo at an emulator you already run: AWS_ENDPOINT_URL=http://127.0.0.1:5000 npm start',
  '',
].join('\n');

function verdictFile(argv: readonly string[]): string | null {
  try {
    const { values } = parseArgs({ args: [...argv], options: { verdict: { type: 'string' } } });
    return values.verdict ?? null;
  } catch (error) {
    throw new DemoError(`${(error as Error).message}. The demo takes one option: --verdict FILE.`);
  }
}

async function playOn(logs: FunctionLogs): Promise<DemoVerdict> {
  const server = await chooseEmulator();
  try {
    return await play(server, logs);
  } finally {
    await server.stop();
    say();
    if (server.own) say(`Stopped moto_server (${server.endpoint}).`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const started = Date.now();
  const logs = new FunctionLogs();
  let writeTo: string | null;
  try {
    writeTo = verdictFile(argv);
  } catch (error) {
    complain(`${(error as Error).message}\n`);
    return 2;
  }
  say('rotation-redeploy: the local demo');
  say(
    wrap(
      'ECS tasks read their secrets and parameters once, when they start. When a value changes, running tasks keep the old one until the service is redeployed: this automation does that, driven by the events AWS sends. Here it runs end to end on a local AWS emulator, with no AWS account.',
    ),
  );
  say();
  try {
    const verdict = await playOn(logs);
    if (writeTo !== null) writeFileSync(writeTo, `${JSON.stringify(verdict, null, 2)}\n`);
    say("The functions' own log lines (JSON, as CloudWatch Logs would hold them) are in");
    say(`  ${logs.file}`);
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return verdict.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof MotoMissingError) {
      complain(MOTO_MISSING);
      return 2;
    }
    const message = error instanceof DemoError ? error.message : ((error as Error).stack ?? String(error));
    complain(`\nThe demo stopped: ${message}\n`);
    if (logs.written) complain(`The functions' log lines are in ${logs.file}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// An idle keep-alive socket must not hold the process open: exit once output is flushed.
setTimeout(() => process.exit(code), 2_000).unref();

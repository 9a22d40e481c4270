/**
 * Starts and stops the local AWS emulator `moto_server` (moto 5.2.1), for `npm start` (scripts/local-demo.ts)
 * and the integration tests (test/support/moto.ts re-exports this module).
 *
 * Each call to `startMoto()` runs its own server on a free loopback port, so test files can run in
 * parallel. moto's default account id is `123456789012` (`MOTO_ACCOUNT_ID`); every ARN it returns uses it.
 * What the emulator does and does not do is recorded in `test/support/MOTO-NOTES.md`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';

/** The account id moto puts in every ARN unless told otherwise. */
export const MOTO_ACCOUNT_ID = '123456789012';
/** The Region `awsClientConfig` points clients at. */
export const MOTO_REGION = 'us-east-1';

export const MOTO_INSTALL_HINT =
  "moto_server is not on PATH. Install the AWS emulator with: pip install 'moto[server]' " +
  "(the emulator tests are checked against moto 5.2.1: pip install 'moto[server]==5.2.1'), " +
  'then make sure the directory holding moto_server is on PATH.';

/** `moto_server` is not on PATH; the message says what to install. */
export class MotoMissingError extends Error {
  constructor() {
    super(MOTO_INSTALL_HINT);
    this.name = 'MotoMissingError';
  }
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** Forgets every resource created so far (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Kills the server and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Configuration for an AWS SDK v3 client talking to the emulator: `new ECSClient(awsClientConfig(moto.endpoint))`. */
export function awsClientConfig(endpoint: string): AwsClientConfig {
  return {
    endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

const START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;
const STDERR_KEPT_CHARS = 4_000;

/**
 * Runs moto_server as a child of a small Node watchdog that kills moto when its stdin closes, that is
 * when the process that started it dies in any way (even SIGKILL, where no exit handler runs).
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const moto = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const killMoto = () => { try { moto.kill('SIGKILL'); } catch {} };
moto.on('error', (error) => { process.stderr.write(String(error) + '\\n'); process.exit(127); });
moto.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
process.stdin.on('end', killMoto);
process.stdin.on('close', killMoto);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => { killMoto(); process.exit(1); });
`;

/** Every server started and not yet stopped, killed when this process exits. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // The watchdog leads its own process group (detached), which holds moto too.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child);
  });
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected address for a TCP server: ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

class MotoStartError extends Error {
  readonly portTaken: boolean;
  constructor(message: string, portTaken: boolean) {
    super(message);
    this.name = 'MotoStartError';
    this.portTaken = portTaken;
  }
}

async function startOnce(command: string): Promise<MotoServer> {
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['-e', WATCHDOG, command, '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  running.add(child);
  installExitHook();

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS);
  });
  // An EPIPE on the watchdog's stdin only means it is gone already.
  child.stdin?.on('error', () => {});
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });

  const fail = async (reason: string): Promise<never> => {
    killGroup(child);
    await waitForExit(child, STOP_TIMEOUT_MS);
    running.delete(child);
    const output = stderr.trim() === '' ? '(nothing on stderr)' : stderr.trim();
    throw new MotoStartError(
      `moto_server (${command}) on ${endpoint} ${reason}.\nmoto_server stderr:\n${output}`,
      /address already in use/i.test(stderr),
    );
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined) await fail(`could not be started: ${spawnError.message}`);
    if (exited(child)) {
      await fail(`exited before answering HTTP (exit code ${child.exitCode ?? child.signalCode})`);
    }
    try {
      // Any HTTP answer means the server is up.
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) await fail(`did not answer HTTP within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_INTERVAL_MS);
  }

  // Do not let a forgotten stop() keep the process alive; the exit hook and the watchdog still kill moto.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) {
        throw new Error(`moto reset failed: HTTP ${response.status} ${await response.text()}`);
      }
    },
    stop() {
      stopped ??= (async () => {
        killGroup(child);
        const gone = await waitForExit(child, STOP_TIMEOUT_MS);
        running.delete(child);
        if (!gone) {
          throw new Error(`moto_server on ${endpoint} (pid ${child.pid}) did not exit after SIGKILL`);
        }
      })();
      return stopped;
    },
  };
}

/**
 * Starts a fresh `moto_server` on a free loopback port and resolves once it answers HTTP.
 * Throws with install instructions when `moto_server` is not on PATH, and with moto's stderr when it
 * does not come up within 30 s. Call `stop()` when done (an exit hook kills it otherwise).
 */
export async function startMoto(): Promise<MotoServer> {
  const command = findOnPath('moto_server');
  if (command === undefined) throw new MotoMissingError();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(command);
    } catch (error) {
      // Another process may take the port between our probe and moto's bind: try another one.
      if (error instanceof MotoStartError && error.portTaken && attempt < PORT_ATTEMPTS) continue;
      throw error;
    }
  }
}

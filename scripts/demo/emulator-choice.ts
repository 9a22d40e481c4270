/**
 * Which emulator the demo plays on: its own moto_server, stopped at the end, or the one AWS_ENDPOINT_URL
 * names, left running (and refused when it names AWS itself: the demo redeploys what it finds).
 */
import { startMoto } from '../emulator.ts';
import { DemoError } from './demo-error.ts';

export interface Emulator {
  readonly endpoint: string;
  /** Ours: stopped at the end; the user's (AWS_ENDPOINT_URL): left running. */
  readonly own: boolean;
  stop(): Promise<void>;
}

export async function chooseEmulator(given = process.env.AWS_ENDPOINT_URL?.trim()): Promise<Emulator> {
  if (given === undefined || given === '') {
    const moto = await startMoto();
    return { endpoint: moto.endpoint, own: true, stop: () => moto.stop() };
  }
  let host: string;
  try {
    host = new URL(given).hostname;
  } catch {
    throw new DemoError(`AWS_ENDPOINT_URL is not a URL: "${given}"`);
  }
  if (/(^|\.)(amazonaws\.com(\.cn)?|api\.aws)$/i.test(host)) {
    throw new DemoError(
      `AWS_ENDPOINT_URL points at AWS itself (${given}). The demo creates resources and redeploys every ECS service that reads them: run it against an emulator only, or unset AWS_ENDPOINT_URL to let it start moto_server.`,
    );
  }
  try {
    await fetch(given, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new DemoError(
      `nothing answers at AWS_ENDPOINT_URL=${given} (${(error as Error).message}). Start your emulator, or unset AWS_ENDPOINT_URL to let the demo start moto_server.`,
    );
  }
  return { endpoint: given.replace(/\/+$/, ''), own: false, stop: async () => {} };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowertoolsOncePerKey } from '../../functions/aws/once-per-change.ts';
import type { Invocation } from '../../functions/core/ports.ts';
import { createStateTable } from '../../scripts/demo-account.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';

let moto: MotoServer;
let client: DynamoDBClient;

beforeAll(async () => {
  moto = await startMoto();
  client = new DynamoDBClient(awsClientConfig(moto.endpoint));
  await createStateTable(client, 'state');
});
afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

const lambdaContext = (remainingMs: number) =>
  ({
    functionName: 'secret-changed',
    awsRequestId: 'r',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;

/** An invocation whose Lambda context has `remainingMs` left. */
const invocation = (remainingMs: number): Invocation => ({
  lambdaContext: lambdaContext(remainingMs),
  now: () => Date.now(),
});

describe('PowertoolsOncePerKey on the emulator', () => {
  it('runs the work once per key and answers the stored result to the second caller', async () => {
    const once = new PowertoolsOncePerKey(client, 'state', 3600);
    let runs = 0;
    const work = async () => ({ run: ++runs });

    const first = await once.run('key-a', work, invocation(60_000));
    const second = await once.run('key-a', work, invocation(60_000));
    const other = await once.run('key-b', work, invocation(60_000));

    expect(first).toEqual({ result: { run: 1 }, duplicate: false });
    expect(second).toEqual({ result: { run: 1 }, duplicate: true });
    expect(other).toEqual({ result: { run: 2 }, duplicate: false });
  });

  it('lets a retry run again after the work failed', async () => {
    const once = new PowertoolsOncePerKey(client, 'state', 3600);

    await expect(
      once.run('key-c', async () => Promise.reject(new Error('queue unavailable')), invocation(60_000)),
    ).rejects.toThrow('queue unavailable');
    const retried = await once.run('key-c', async () => ({ ok: true }), invocation(60_000));

    expect(retried).toEqual({ result: { ok: true }, duplicate: false });
  });

  it('lets a retry run once a killed run’s hold has outlived that function’s time', async () => {
    // One adapter for both runs, as in one warm execution environment: each run's own context counts.
    const once = new PowertoolsOncePerKey(client, 'state', 3600);
    // The killed run never finishes: its in-progress record stays behind, as after a Lambda timeout.
    void once.run('key-d', () => new Promise<never>(() => {}), invocation(300));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const tooSoon = once.run('key-d', async () => ({ ok: true }), invocation(60_000));
    await expect(tooSoon).rejects.toThrow(/already an execution in progress/i);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await once.run('key-d', async () => ({ ok: true }), invocation(60_000));

    expect(later).toEqual({ result: { ok: true }, duplicate: false });
  });
});

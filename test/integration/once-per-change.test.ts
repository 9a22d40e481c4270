import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowertoolsOncePerKey } from '../../functions/aws/once-per-change.ts';
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

describe('PowertoolsOncePerKey on the emulator', () => {
  it('runs the work once per key and answers the stored result to the second caller', async () => {
    const once = new PowertoolsOncePerKey(client, 'state', 3600);
    once.registerLambdaContext(lambdaContext(60_000));
    let runs = 0;
    const work = async () => ({ run: ++runs });

    const first = await once.run('key-a', work);
    const second = await once.run('key-a', work);
    const other = await once.run('key-b', work);

    expect(first).toEqual({ result: { run: 1 }, duplicate: false });
    expect(second).toEqual({ result: { run: 1 }, duplicate: true });
    expect(other).toEqual({ result: { run: 2 }, duplicate: false });
  });

  it('lets a retry run again after the work failed', async () => {
    const once = new PowertoolsOncePerKey(client, 'state', 3600);
    once.registerLambdaContext(lambdaContext(60_000));

    await expect(
      once.run('key-c', async () => Promise.reject(new Error('queue unavailable'))),
    ).rejects.toThrow('queue unavailable');
    const retried = await once.run('key-c', async () => ({ ok: true }));

    expect(retried).toEqual({ result: { ok: true }, duplicate: false });
  });

  it('lets a retry run once a killed run’s hold has outlived that function’s time', async () => {
    const killed = new PowertoolsOncePerKey(client, 'state', 3600);
    killed.registerLambdaContext(lambdaContext(300));
    // The killed run never finishes: its in-progress record stays behind, as after a Lambda timeout.
    void killed.run('key-d', () => new Promise<never>(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = new PowertoolsOncePerKey(client, 'state', 3600);
    retry.registerLambdaContext(lambdaContext(60_000));

    const tooSoon = retry.run('key-d', async () => ({ ok: true }));
    await expect(tooSoon).rejects.toThrow(/already an execution in progress/i);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await retry.run('key-d', async () => ({ ok: true }));

    expect(later).toEqual({ result: { ok: true }, duplicate: false });
  });
});

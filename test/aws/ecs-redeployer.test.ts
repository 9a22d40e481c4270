import { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { classify, EcsRedeployer } from '../../functions/aws/ecs-redeployer.ts';
import { type EcsAnswer, ecsRequestHandler, TEST_CREDENTIALS } from '../support/ecs-http.ts';

const SERVICE = {
  serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/api',
  serviceName: 'api',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/main',
};

/**
 * An ECS endpoint where UpdateService answers from `script` in turn; `lands` says whether that call really
 * made a deployment (a 500 or a timeout can come after ECS acted). DescribeServices shows the latest one.
 */
function endpoint(
  script: { answer: EcsAnswer | 'timeout'; lands: boolean }[],
  now: () => number,
  existing: { id: string; createdAt: number } | null = null,
) {
  const made: string[] = [];
  let latest = existing;
  let call = 0;
  let describes = 0;
  const handler = ecsRequestHandler((action) => {
    if (action === 'DescribeServices') {
      describes += 1;
      const deployments =
        latest === null ? [] : [{ id: latest.id, status: 'PRIMARY', createdAt: latest.createdAt / 1000 }];
      return { ok: { services: [{ serviceArn: SERVICE.serviceArn, deployments }] } };
    }
    const step = script[call] ?? { answer: { ok: {} }, lands: true };
    call += 1;
    if (step.lands) {
      latest = { id: `ecs-svc/${call}`, createdAt: now() };
      made.push(latest.id);
    }
    if (step.answer === 'timeout') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    if ('ok' in step.answer)
      return { ok: { service: { deployments: [{ id: latest?.id, status: 'PRIMARY' }] } } };
    return step.answer;
  });
  const client = new ECSClient({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    requestHandler: handler,
    maxAttempts: 1,
  });
  return { client, made, calls: () => call, describes: () => describes };
}

const serverError: EcsAnswer = { error: 'ServerException', message: 'internal error', status: 500 };
const throttled: EcsAnswer = { error: 'ThrottlingException', message: 'Rate exceeded' };

describe('EcsRedeployer', () => {
  const clock = () => 1_800_000_000_000;
  const retry = { now: clock, sleep: async () => {}, random: () => 0.5 };

  it('does not deploy again when a call that timed out had landed', async () => {
    const ecs = endpoint([{ answer: 'timeout', lands: true }], clock);

    const result = await new EcsRedeployer(ecs.client, retry).redeploy(SERVICE);

    expect(ecs.made).toEqual(['ecs-svc/1']);
    expect(result).toEqual({ deploymentId: 'ecs-svc/1' });
  });

  it('does not deploy again when a 5xx answer came after ECS acted', async () => {
    const ecs = endpoint([{ answer: serverError, lands: true }], clock);

    await new EcsRedeployer(ecs.client, retry).redeploy(SERVICE);

    expect(ecs.calls()).toBe(1);
    expect(ecs.made).toHaveLength(1);
  });

  it('fails, never claiming a deployment made seconds before it (by CI/CD) when every attempt answers 5xx', async () => {
    const ecs = endpoint(
      Array.from({ length: 4 }, () => ({ answer: serverError, lands: false })),
      clock,
      { id: 'ecs-svc/by-ci', createdAt: clock() - 3_000 },
    );

    const attempt = new EcsRedeployer(ecs.client, { ...retry, attempts: 4 }).redeploy(SERVICE);

    await expect(attempt).rejects.toThrow('internal error');
    expect(ecs.calls()).toBe(4);
    expect(ecs.made).toEqual([]);
  });

  it('uses the deployments the scan saw as those known before, without asking ECS again', async () => {
    const ecs = endpoint(
      Array.from({ length: 3 }, () => ({ answer: serverError, lands: false })),
      clock,
      { id: 'ecs-svc/by-ci', createdAt: clock() - 3_000 },
    );

    const attempt = new EcsRedeployer(ecs.client, { ...retry, attempts: 3 }).redeploy({
      ...SERVICE,
      deploymentIds: ['ecs-svc/by-ci'],
    });

    await expect(attempt).rejects.toThrow('internal error');
    // One look after each ambiguous answer but the last, none before the first attempt.
    expect(ecs.describes()).toBe(2);
  });

  it('counts a deployment an earlier attempt made, found after a later ambiguous answer', async () => {
    // Each back-off lets ten seconds pass: the later attempt starts long after the deployment was made.
    let now = clock();
    const ticking = {
      ...retry,
      now: () => now,
      sleep: async () => {
        now += 10_000;
      },
    };
    const ecs = endpoint(
      [
        { answer: 'timeout', lands: true },
        { answer: throttled, lands: false },
        { answer: serverError, lands: false },
      ],
      () => now,
      { id: 'ecs-svc/by-ci', createdAt: clock() - 3_000 },
    );
    // The look right after the timeout fails, so only the look after the 5xx can find it.
    ecs.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeServicesCommand' && ecs.calls() === 1)
          throw new Error('network down');
        return next(args);
      },
      { step: 'initialize', name: 'failSecondLook' },
    );

    const result = await new EcsRedeployer(ecs.client, { ...ticking, attempts: 5 }).redeploy(SERVICE);

    expect(result).toEqual({ deploymentId: 'ecs-svc/1' });
    expect(ecs.made).toEqual(['ecs-svc/1']);
  });

  it('retries a call that timed out before reaching ECS, deploying once', async () => {
    const ecs = endpoint(
      [
        { answer: 'timeout', lands: false },
        { answer: { ok: {} }, lands: true },
      ],
      clock,
    );

    const result = await new EcsRedeployer(ecs.client, retry).redeploy(SERVICE);

    expect(ecs.calls()).toBe(2);
    expect(ecs.made).toEqual(['ecs-svc/2']);
    expect(result).toEqual({ deploymentId: 'ecs-svc/2' });
  });

  it('retries throttling with a growing, capped back-off and gives up after its attempts', async () => {
    const ecs = endpoint(
      Array.from({ length: 5 }, () => ({ answer: throttled, lands: false })),
      clock,
    );
    const waits: number[] = [];

    const attempt = new EcsRedeployer(ecs.client, {
      ...retry,
      attempts: 5,
      maxDelayMs: 6000,
      sleep: async (ms) => void waits.push(ms),
    }).redeploy(SERVICE);

    await expect(attempt).rejects.toThrow('Rate exceeded');
    expect(ecs.calls()).toBe(5);
    expect(waits).toEqual([500, 1000, 2000, 3000]);
    expect(ecs.made).toEqual([]);
  });

  it('gives up the retries a deadline leaves no time for, instead of sleeping past it', async () => {
    const ecs = endpoint(
      Array.from({ length: 10 }, () => ({ answer: throttled, lands: false })),
      clock,
    );
    const waits: number[] = [];
    let now = clock();

    const attempt = new EcsRedeployer(ecs.client, {
      now: () => now,
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    }).redeploy(SERVICE, clock() + 10_000);

    await expect(attempt).rejects.toThrow('Rate exceeded');
    // 1 s, 2 s, 4 s waited (7 s); the next 8 s would end past the deadline, so the fourth answer is the last.
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(ecs.calls()).toBe(4);
  });

  it('names the service by its ARN, never by its name alone', async () => {
    const names: unknown[] = [];
    const client = new ECSClient({
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: ecsRequestHandler((action, input) => {
        names.push([action, action === 'UpdateService' ? input.service : input.services]);
        return action === 'UpdateService'
          ? { ok: { service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } } }
          : { ok: { services: [{ serviceArn: SERVICE.serviceArn, deployments: [] }] } };
      }),
    });

    await new EcsRedeployer(client, retry).redeploy(SERVICE);

    expect(names).toEqual([
      ['DescribeServices', [SERVICE.serviceArn]],
      ['UpdateService', SERVICE.serviceArn],
    ]);
  });

  it('does not retry what ECS refused for good', async () => {
    const ecs = endpoint(
      [
        {
          answer: {
            error: 'InvalidParameterException',
            message: 'Cannot force a new deployment on services with a CODE_DEPLOY deployment controller.',
          },
          lands: false,
        },
      ],
      clock,
    );

    await expect(new EcsRedeployer(ecs.client, retry).redeploy(SERVICE)).rejects.toThrow('CODE_DEPLOY');
    expect(ecs.calls()).toBe(1);
  });

  it.each([
    [{ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, 'definite'],
    [{ name: 'ServerException', $fault: 'server', $metadata: { httpStatusCode: 500 } }, 'ambiguous'],
    [Object.assign(new Error('timeout'), { name: 'TimeoutError' }), 'ambiguous'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'ambiguous'],
    [{ name: 'ServiceNotActiveException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, null],
    [new Error('something else'), null],
  ])('classifies %o as %s', (error, expected) => {
    expect(classify(error)).toBe(expected);
  });
});

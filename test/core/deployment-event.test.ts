import { describe, expect, it } from 'vitest';
import { parseDeploymentEvent, verdictFromEvent } from '../../functions/core/deployment-event.ts';
import { InvalidEventError } from '../../functions/core/errors.ts';
import type { StartedDeployment } from '../../functions/core/rollout.ts';
import { fixtureText } from '../support/change-events.ts';

const fixture = (file: string) => JSON.parse(fixtureText(file)) as Record<string, unknown>;

const API = 'arn:aws:ecs:us-east-1:123456789012:service/prod/api';
const WORKER = 'arn:aws:ecs:us-east-1:123456789012:service/prod/worker';

function startedOn(serviceArn: string, deploymentId: string): StartedDeployment {
  return {
    service: {
      serviceArn,
      serviceName: serviceArn.slice(serviceArn.lastIndexOf('/') + 1),
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    },
    deploymentId,
    via: 'ecs',
    startedAt: Date.parse('2025-11-05T03:01:40Z'),
  };
}

describe('parseDeploymentEvent', () => {
  it.each([
    [
      'ecs-deployment-in-progress.json',
      {
        serviceArn: API,
        deploymentId: 'ecs-svc/4736284920175638291',
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        eventType: 'INFO',
        reason: 'ECS deployment ecs-svc/4736284920175638291 in progress.',
        updatedAt: Date.parse('2025-11-05T03:01:44.208Z'),
        rollingBackTo: null,
      },
    ],
    [
      'ecs-deployment-completed.json',
      {
        serviceArn: API,
        deploymentId: 'ecs-svc/4736284920175638291',
        eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
        eventType: 'INFO',
        updatedAt: Date.parse('2025-11-05T03:04:09.512Z'),
        rollingBackTo: null,
      },
    ],
    [
      'ecs-deployment-failed.json',
      {
        serviceArn: WORKER,
        deploymentId: 'ecs-svc/8203746159283746501',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        eventType: 'ERROR',
        reason: 'ECS deployment circuit breaker: task failed to start.',
        rollingBackTo: null,
      },
    ],
    [
      'ecs-deployment-rollback-in-progress.json',
      {
        serviceArn: WORKER,
        deploymentId: 'ecs-svc/1937465028374659102',
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        rollingBackTo: 'ecs-svc/6019283746501928374',
      },
    ],
  ])('reads %s', (file, expected) => {
    expect(parseDeploymentEvent(fixture(file))).toMatchObject({
      account: '123456789012',
      region: 'us-east-1',
      ...expected,
    });
  });

  it.each<[string, (event: Record<string, unknown>) => unknown, RegExp]>([
    ['a change event', () => fixture('secretsmanager-label-updated.json'), /source/],
    [
      'no deployment id',
      (event) => ({ ...event, detail: { ...(event.detail as object), deploymentId: undefined } }),
      /detail\.deploymentId/,
    ],
    [
      'an unknown event name',
      (event) => ({ ...event, detail: { ...(event.detail as object), eventName: 'SERVICE_STEADY_STATE' } }),
      /detail\.eventName/,
    ],
    ['no resources', (event) => ({ ...event, resources: [] }), /resources/],
    [
      'a task ARN for the service',
      (event) => ({ ...event, resources: ['arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b'] }),
      /resources\.0.*not an ECS service ARN/,
    ],
  ])('refuses %s, naming what is wrong', (_, build, message) => {
    const event = build(fixture('ecs-deployment-completed.json'));

    expect(() => parseDeploymentEvent(event)).toThrow(InvalidEventError);
    expect(() => parseDeploymentEvent(event)).toThrow(message);
  });

  it('keeps an event whose updatedAt is not a time, without a time', () => {
    const event = fixture('ecs-deployment-completed.json');
    (event.detail as Record<string, unknown>).updatedAt = 'soon';

    expect(parseDeploymentEvent(event).updatedAt).toBeNull();
  });
});

describe('verdictFromEvent', () => {
  it('settles our deployment completed when ECS says so, at the time ECS gives', () => {
    const event = parseDeploymentEvent(fixture('ecs-deployment-completed.json'));

    expect(verdictFromEvent(startedOn(API, 'ecs-svc/4736284920175638291'), event)).toEqual({
      state: 'completed',
      reason: null,
      endedAt: Date.parse('2025-11-05T03:04:09.512Z'),
    });
  });

  it('settles our deployment failed with the circuit breaker reason', () => {
    const event = parseDeploymentEvent(fixture('ecs-deployment-failed.json'));

    expect(verdictFromEvent(startedOn(WORKER, 'ecs-svc/8203746159283746501'), event)).toMatchObject({
      state: 'failed',
      reason: 'ECS deployment circuit breaker: task failed to start.',
    });
  });

  it('keeps our deployment in progress on its IN_PROGRESS event', () => {
    const event = parseDeploymentEvent(fixture('ecs-deployment-in-progress.json'));

    expect(verdictFromEvent(startedOn(API, 'ecs-svc/4736284920175638291'), event)?.state).toBe('in-progress');
  });

  it('counts a rollback announced under our own id as a failure', () => {
    const event = parseDeploymentEvent(fixture('ecs-deployment-rollback-in-progress.json'));

    expect(verdictFromEvent(startedOn(WORKER, 'ecs-svc/1937465028374659102'), event)).toMatchObject({
      state: 'failed',
      reason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/6019283746501928374.',
    });
  });

  it.each([
    ['another deployment of the service (CI/CD)', startedOn(API, 'ecs-svc/1111111111111111111')],
    ['the same id on another service', startedOn(WORKER, 'ecs-svc/4736284920175638291')],
  ])('says nothing about %s', (_, started) => {
    const event = parseDeploymentEvent(fixture('ecs-deployment-completed.json'));

    expect(verdictFromEvent(started, event)).toBeNull();
  });
});

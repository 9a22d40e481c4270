/** createAwsClients: one set-up for the functions, the CLI, the benchmark and the fault tests. */
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ecsEndpoint } from '../../bench/ecs-endpoint.ts';
import { createAwsClients, RETRY_CONFIG } from '../../functions/aws/clients.ts';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };

describe('createAwsClients', () => {
  it('sends every call through the request handler it is given, signed with the credentials it is given', async () => {
    const seen: { action: string; authorization: string }[] = [];
    const handler = ecsEndpoint((action) => ({ ok: { clusterArns: [`answered ${action}`] } }));
    const recording = {
      ...handler,
      handle: (request: { headers: Record<string, string>; body?: unknown }) => {
        seen.push({
          action: request.headers['x-amz-target'] ?? '',
          authorization: request.headers.authorization ?? '',
        });
        return handler.handle(request);
      },
    };
    const clients = createAwsClients({
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      requestHandler: recording,
    });

    const answer = await clients.ecs.send(new ListClustersCommand({}));

    expect(answer.clusterArns).toEqual(['answered ListClusters']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.action).toMatch(/\.ListClusters$/);
    expect(seen[0]?.authorization).toContain('Credential=AKIDTEST/');
    expect(seen[0]?.authorization).toContain('/eu-west-1/ecs/');
  });

  it('points every client at the endpoint it is given, and shares it, without the Region, with clients made later', async () => {
    const clients = createAwsClients({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: CREDENTIALS,
    });

    for (const client of [clients.ecs, clients.ecsUpdates, clients.tagging, clients.dynamodb, clients.sqs]) {
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('127.0.0.1');
      expect(endpoint?.port).toBe(4566);
    }
    expect(clients.config).toEqual({
      ...RETRY_CONFIG,
      endpoint: 'http://127.0.0.1:4566',
      credentials: CREDENTIALS,
    });
  });

  it('makes UpdateService one attempt a call and the reads the retry setting’s attempts', async () => {
    const clients = createAwsClients({ region: 'eu-west-1', credentials: CREDENTIALS });

    expect(await clients.ecs.config.maxAttempts()).toBe(RETRY_CONFIG.maxAttempts);
    expect(await clients.ecsUpdates.config.maxAttempts()).toBe(1);
  });
});

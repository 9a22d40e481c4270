import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsChangeVersions, regionalMetadataClients } from '../../functions/aws/change-versions.ts';
import { parseEvent } from '../../functions/core/change.ts';
import type { Invocation } from '../../functions/core/ports.ts';
import { awsClientConfig, type MotoServer, startMoto } from '../support/moto.ts';

let moto: MotoServer;
let secrets: SecretsManagerClient;
let ssm: SSMClient;
let versions: AwsChangeVersions;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const here: Invocation = { ownAccount: ACCOUNT, now: () => Date.now() };

beforeAll(async () => {
  moto = await startMoto();
  const config = awsClientConfig(moto.endpoint);
  secrets = new SecretsManagerClient(config);
  ssm = new SSMClient(config);
  versions = new AwsChangeVersions(regionalMetadataClients(config));
});
afterAll(async () => {
  secrets?.destroy();
  ssm?.destroy();
  await moto?.stop();
});

/** The change a `Secret Label Updated` event announces, about the secret `arn` as the event names it. */
function labelMoved(arn: string, name: string, label: string) {
  return parseEvent({
    version: '0',
    id: `id-${name}-${label}`,
    'detail-type': 'Secret Label Updated',
    source: 'aws.secretsmanager',
    account: ACCOUNT,
    time: '2026-11-05T03:00:41Z',
    region: REGION,
    resources: [arn],
    detail: { name, labelUpdated: label, versionId: 'from-the-event' },
  }).change;
}

function parameterUpdated(name: string, account = ACCOUNT) {
  return parseEvent({
    version: '0',
    id: `id-${name}`,
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account,
    time: '2026-11-09T15:30:02Z',
    region: REGION,
    resources: [`arn:aws:ssm:${REGION}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`],
    detail: { operation: 'Update', name, type: 'String' },
  }).change;
}

describe('AwsChangeVersions on the emulator', () => {
  it('answers the version AWSCURRENT points to now, and the full ARN, from DescribeSecret', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'cv/db', SecretString: 'one' }));
    const second = await secrets.send(new PutSecretValueCommand({ SecretId: 'cv/db', SecretString: 'two' }));
    const answer = await versions.currentVersion(labelMoved(created.ARN ?? '', 'cv/db', 'AWSCURRENT'), here);
    expect(answer.version).toBe(second.VersionId);
    expect(answer.arn).toBe(created.ARN);
  });

  it('answers the version a custom label points to, not the current one', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'cv/blue', SecretString: 'one' }));
    const labelled = await secrets.send(
      new PutSecretValueCommand({ SecretId: 'cv/blue', SecretString: 'two', VersionStages: ['BLUE'] }),
    );
    const answer = await versions.currentVersion(labelMoved(created.ARN ?? '', 'cv/blue', 'BLUE'), here);
    expect(answer.version).toBe(labelled.VersionId);
    expect(answer.version).not.toBe(created.VersionId);
  });

  it('answers no version for a label no version carries', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'cv/none', SecretString: 'one' }));
    const answer = await versions.currentVersion(labelMoved(created.ARN ?? '', 'cv/none', 'GREEN'), here);
    expect(answer.version).toBeNull();
  });

  it('answers the parameter version from DescribeParameters, in the own account', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/cv/url', Value: 'a', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/cv/url', Value: 'b', Type: 'String', Overwrite: true }));
    const answer = await versions.currentVersion(parameterUpdated('/cv/url'), here);
    expect(answer.version).toBe('2');
  });

  it("does not read another account's parameter by name in its own account", async () => {
    await ssm.send(new PutParameterCommand({ Name: '/cv/shared', Value: 'a', Type: 'String' }));
    const answer = await versions.currentVersion(parameterUpdated('/cv/shared', '210987654321'), here);
    expect(answer.version).toBeNull();
  });

  it('fails, rather than inventing a version, when the secret does not exist', async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cv/gone-AbCdEf`;
    await expect(versions.currentVersion(labelMoved(arn, 'cv/gone', 'AWSCURRENT'), here)).rejects.toThrow();
  });
});

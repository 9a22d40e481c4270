/**
 * The events of `events/`, made true for an emulated account: each story first makes the change its event
 * announces through the real Secrets Manager or SSM API, then the fixture is cloned with the seeded
 * secret's real ARN (moto picks its six-character suffix) and the real version ids put in.
 *
 *   const writer = changeWriter(seed.clients, account);
 *   const text = await storyEvent('cloudtrail-put-secret-value.json', writer);
 */

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  DeleteParameterCommand,
  LabelParameterVersionCommand,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { PARAMETER_NAME, PLAIN_PARAMETER_NAME, type RealisticAccount } from './realistic-account.ts';
import type { SeedClients } from './seed.ts';

const EVENTS_DIR = new URL('../../events/', import.meta.url);

/** What the fixtures name; replaced by what the emulator made. */
export const FIXTURE_ACCOUNT = '123456789012';
export const FIXTURE_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${FIXTURE_ACCOUNT}:secret:prod/db-password-AbCdEf`;
export const FIXTURE_VERSIONS = {
  /** The version a rotation made current (RotateSecret token, AWSPENDING write, finishSecret target). */
  rotatedTo: 'c4a9e2f1-0b7d-4c3e-8f6a-2d1e5b9c7a30',
  /** The version that was current before that rotation. */
  rotatedFrom: '3e8d1c2b-6a5f-4b7e-9c0d-1f2e3a4b5c6d',
  putValue: '7f3c2a1e-9b4d-4e6f-8a2b-5c1d0e9f8a7b',
  updateValue: '9a0b7d8e-1f2a-4b3c-9d4e-6f7a8b9c0d1e',
  blue: '5b6c7d8e-1f2a-4b3c-9d4e-6f7a8b9c0d1e',
} as const;

/** Every file of `events/`, so a new fixture without a story or an expectation is noticed. */
export function fixtureFiles(): string[] {
  return readdirSync(EVENTS_DIR)
    .filter((file) => file !== 'README.md')
    .sort();
}

export function fixtureText(file: string): string {
  return readFileSync(new URL(file, EVENTS_DIR), 'utf8');
}

/** The fixture with every occurrence of each key replaced by its value. */
export function substituted(text: string, replacements: Readonly<Record<string, string>>): string {
  let result = text;
  for (const [from, to] of Object.entries(replacements)) result = result.split(from).join(to);
  return result;
}

export interface ChangeWriter {
  /** Rotation's createSecret and finishSecret steps: a new AWSPENDING version, then AWSCURRENT moved to it. */
  rotate(): Promise<{ readonly from: string; readonly to: string }>;
  /** PutSecretValue; without stages the new version becomes AWSCURRENT. Resolves to the new version id. */
  putValue(stages?: string[]): Promise<string>;
  /** UpdateSecret with a new value; resolves to the new version id. */
  updateValue(): Promise<string>;
  updateDescription(): Promise<void>;
  /** The version AWSCURRENT is on now. */
  currentVersion(): Promise<string>;
  putParameter(name: string): Promise<number>;
  createParameter(name: string): Promise<number>;
  labelParameter(name: string): Promise<void>;
  deleteParameter(name: string): Promise<void>;
}

export function changeWriter(clients: SeedClients, account: RealisticAccount): ChangeWriter {
  const { secretsManager, ssm } = clients;
  const secretId = account.secret.arn;
  let counter = 0;
  const next = () => {
    counter += 1;
    return counter;
  };
  const value = () => JSON.stringify({ username: 'app', password: `rotated-${next()}` });

  const stagesOf = async (versionId: string): Promise<string[]> => {
    const out = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    return out.VersionIdsToStages?.[versionId] ?? [];
  };
  const currentVersion = async (): Promise<string> => {
    const out = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    const current = Object.entries(out.VersionIdsToStages ?? {}).filter(([, stages]) =>
      stages.includes('AWSCURRENT'),
    );
    if (current.length !== 1 || current[0] === undefined) {
      throw new Error(
        `${secretId} has ${current.length} AWSCURRENT versions: ${JSON.stringify(out.VersionIdsToStages)}`,
      );
    }
    return current[0][0];
  };
  /**
   * moto 5.2.1 forgets that UpdateSecretVersionStage moved AWSCURRENT: the next PutSecretValue or
   * UpdateSecret that makes a version current takes AWSPREVIOUS off the version current before that
   * rotation and leaves AWSCURRENT on the rotated one too. Taking it off there puts AWSPREVIOUS where AWS
   * puts it (on the version that was current), so the secret's labels are what AWS would show.
   */
  const keepOneCurrent = async (current: string): Promise<void> => {
    const out = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    for (const [versionId, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
      if (versionId === current || !stages.includes('AWSCURRENT')) continue;
      await secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: versionId,
        }),
      );
    }
  };
  const putValue = async (stages?: string[]): Promise<string> => {
    const token = randomUUID();
    const out = await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: value(),
        ClientRequestToken: token,
        ...(stages === undefined ? {} : { VersionStages: stages }),
      }),
    );
    if (out.VersionId !== token)
      throw new Error(`PutSecretValue made version ${out.VersionId}, not ${token}`);
    const expected = stages ?? ['AWSCURRENT'];
    if (expected.includes('AWSCURRENT')) await keepOneCurrent(token);
    const actual = await stagesOf(token);
    if (!expected.every((stage) => actual.includes(stage))) {
      throw new Error(`version ${token} has stages ${actual.join(',')}, not ${expected.join(',')}`);
    }
    if (expected.includes('AWSCURRENT') && (await currentVersion()) !== token) {
      throw new Error(`PutSecretValue did not make ${token} current`);
    }
    return token;
  };
  const putParameter = async (name: string, overwrite = true): Promise<number> => {
    const out = await ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: `value-${next()}`,
        Type: 'String',
        Overwrite: overwrite,
      }),
    );
    if (out.Version === undefined) throw new Error(`PutParameter ${name} returned no version`);
    return out.Version;
  };
  const deleteIfPresent = async (name: string): Promise<void> => {
    try {
      await ssm.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  };

  return {
    currentVersion,
    putValue,
    async rotate() {
      const from = await currentVersion();
      const to = await putValue(['AWSPENDING']);
      await secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: to,
          RemoveFromVersionId: from,
        }),
      );
      // Secrets Manager takes AWSPENDING off once rotation is done. moto leaves it, and then a later
      // PutSecretValue would leave AWSCURRENT on two versions.
      await secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSPENDING',
          RemoveFromVersionId: to,
        }),
      );
      if ((await currentVersion()) !== to) throw new Error(`AWSCURRENT did not move to ${to}`);
      return { from, to };
    },
    async updateValue() {
      const token = randomUUID();
      const out = await secretsManager.send(
        new UpdateSecretCommand({ SecretId: secretId, SecretString: value(), ClientRequestToken: token }),
      );
      if (out.VersionId !== token)
        throw new Error(`UpdateSecret made version ${out.VersionId}, not ${token}`);
      await keepOneCurrent(token);
      if ((await currentVersion()) !== token) throw new Error(`UpdateSecret did not make ${token} current`);
      return token;
    },
    async updateDescription() {
      const out = await secretsManager.send(
        new UpdateSecretCommand({
          SecretId: secretId,
          Description: `Primary PostgreSQL password ${next()}`,
        }),
      );
      if (out.VersionId !== undefined) throw new Error('a metadata-only UpdateSecret made a version');
    },
    putParameter: (name) => putParameter(name),
    async createParameter(name) {
      await deleteIfPresent(name);
      return putParameter(name, false);
    },
    async labelParameter(name) {
      const version = await putParameter(name);
      await ssm.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: ['stable'] }),
      );
    },
    async deleteParameter(name) {
      await putParameter(name);
      await ssm.send(new DeleteParameterCommand({ Name: name }));
    },
  };
}

type Story = (writer: ChangeWriter) => Promise<Record<string, string>>;

const rotation: Story = async (writer) => {
  const { from, to } = await writer.rotate();
  return { [FIXTURE_VERSIONS.rotatedTo]: to, [FIXTURE_VERSIONS.rotatedFrom]: from };
};
const nothingWritten: Story = async () => ({});

/**
 * For each fixture, the change to make before sending it. RotateSecret itself cannot be emulated (it needs
 * a rotation Lambda), so a rotation is its two label moves; the RotateSecret and RotationFailed events
 * announce no value change, and the one for RotationFailed leaves the AWSPENDING value it wrote.
 */
export const STORIES: Readonly<Record<string, Story>> = {
  'secretsmanager-label-updated.json': rotation,
  'secretsmanager-label-updated-custom-label.json': async (writer) => ({
    [FIXTURE_VERSIONS.blue]: await writer.putValue(['BLUE']),
  }),
  'cloudtrail-put-secret-value.json': async (writer) => ({
    [FIXTURE_VERSIONS.putValue]: await writer.putValue(),
  }),
  'cloudtrail-put-secret-value-pending.json': async (writer) => ({
    [FIXTURE_VERSIONS.rotatedTo]: await writer.putValue(['AWSPENDING']),
  }),
  'cloudtrail-update-secret-value.json': async (writer) => ({
    [FIXTURE_VERSIONS.updateValue]: await writer.updateValue(),
  }),
  'cloudtrail-update-secret-metadata.json': async (writer) => {
    await writer.updateDescription();
    return {};
  },
  'cloudtrail-update-secret-version-stage.json': rotation,
  'cloudtrail-update-secret-version-stage-legacy-arn.json': rotation,
  'cloudtrail-rotation-succeeded.json': rotation,
  'cloudtrail-rotation-failed.json': async (writer) => {
    await writer.putValue(['AWSPENDING']);
    return {};
  },
  'cloudtrail-rotate-secret.json': nothingWritten,
  'ssm-parameter-create.json': async (writer) => {
    await writer.createParameter(PARAMETER_NAME);
    return {};
  },
  'ssm-parameter-update.json': async (writer) => {
    await writer.putParameter(PARAMETER_NAME);
    return {};
  },
  'ssm-parameter-update-plain-name.json': async (writer) => {
    await writer.putParameter(PLAIN_PARAMETER_NAME);
    return {};
  },
  'ssm-parameter-delete.json': async (writer) => {
    await writer.deleteParameter(PARAMETER_NAME);
    return {};
  },
  'ssm-parameter-label-version.json': async (writer) => {
    await writer.labelParameter(PARAMETER_NAME);
    return {};
  },
  'ecs-deployment-in-progress.json': nothingWritten,
  'ecs-deployment-completed.json': nothingWritten,
  'ecs-deployment-failed.json': nothingWritten,
  'ecs-deployment-rollback-in-progress.json': nothingWritten,
  'not-json.txt': nothingWritten,
};

/** An EventBridge event as JSON, for a test to edit before sending it. */
export interface EventJson {
  [key: string]: unknown;
  detail: Record<string, unknown>;
}

export interface StoryEvent {
  /** The event as sent: the fixture with the account's real ARN and version ids. */
  readonly text: string;
  /** The version ids put in place of the fixture's, keyed by the fixture's. */
  readonly versions: Readonly<Record<string, string>>;
}

/** Makes the change `file` announces, then returns the event for it. */
export async function storyEvent(
  file: string,
  writer: ChangeWriter,
  account: RealisticAccount,
  edit: (event: EventJson) => void = () => {},
): Promise<StoryEvent> {
  const story = STORIES[file];
  if (story === undefined) throw new Error(`no story for events/${file}`);
  const versions = await story(writer);
  // The secret's ARN first: it holds the account id, replaced last everywhere else.
  const text = substituted(fixtureText(file), {
    [FIXTURE_SECRET_ARN]: account.secret.arn,
    ...versions,
    [FIXTURE_ACCOUNT]: account.id,
  });
  if (!file.endsWith('.json')) return { text, versions };
  const event = JSON.parse(text) as EventJson;
  edit(event);
  return { text: JSON.stringify(event, null, 2), versions };
}

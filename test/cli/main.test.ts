/** The CLI's refusals: input that names nothing AWS would accept exits 2 with a message, before any AWS call. */
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT, type Io, main } from '../../functions/cli/main.ts';

const ESC = '\u001b';

beforeAll(() => {
  // Nothing listens here: a refusal must come before any call, and a call that slipped through fails fast.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_MAX_ATTEMPTS: '1',
  });
});

function recordingIo(
  eventText: string | Readonly<Record<string, string>> = '',
): Io & { out: string[]; err: string[]; read: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const read: string[] = [];
  return {
    out,
    err,
    read,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    progress: () => {},
    readText: async (file) => {
      read.push(file);
      const text = typeof eventText === 'string' ? eventText : eventText[file];
      if (text === undefined) throw new Error('ENOENT: no such file or directory');
      return text;
    },
  };
}

describe('rotation-redeploy who-uses refuses a query that names nothing', () => {
  it.each([
    ['a star', '*'],
    ['a slash', '/'],
    ['two slashes', '//'],
    ['a secret ARN with extra colons', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db:x:y'],
    ['a parameter ARN with extra colons', 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api:3'],
    ['a name with an escape sequence', `prod/db${ESC}[2K`],
  ])('refuses %s with exit code 2 and a message naming it', async (_, query) => {
    const io = recordingIo();

    const code = await main(['who-uses', query], io);

    expect(code).toBe(EXIT.refused);
    expect(io.out).toEqual([]);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(/^rotation-redeploy: ".*" is (neither|not a secret or parameter ARN)/);
  });
});

describe('rotation-redeploy plan refuses an event naming what AWS would never accept', () => {
  it('exits 2 and prints the refused name with its control characters escaped', async () => {
    const event = {
      'detail-type': 'Parameter Store Change',
      source: 'aws.ssm',
      account: '123456789012',
      region: 'us-east-1',
      resources: [],
      detail: { operation: 'Update', name: `/prod/api${ESC}[2K\rSERVICE forged redeployed` },
    };
    const io = recordingIo(JSON.stringify(event));

    const code = await main(['plan', '--event', 'event.json'], io);

    expect(code).toBe(EXIT.refused);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual([
      'rotation-redeploy: detail.name "/prod/api\\x1b[2K\\rSERVICE forged redeployed" is no parameter name: a parameter name is ASCII letters, digits and the characters _.- with / between hierarchy levels',
    ]);
  });
});

describe('rotation-redeploy plan with several events refuses them all for one bad event', () => {
  const good = JSON.stringify({
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: '123456789012',
    region: 'us-east-1',
    resources: [],
    detail: { operation: 'Update', name: '/prod/api-url' },
  });

  it.each([
    [
      'an event that is not JSON',
      { 'good.json': good, 'bad.json': '{"source":' },
      'rotation-redeploy: the event file "bad.json" is refused: the event is not valid JSON',
    ],
    [
      'an event of an unsupported kind',
      { 'good.json': good, 'bad.json': JSON.stringify({ ...JSON.parse(good), source: 'aws.ec2' }) },
      'rotation-redeploy: the event file "bad.json" is refused: unsupported event: source "aws.ec2"',
    ],
    [
      'a file that cannot be read',
      { 'good.json': good },
      'rotation-redeploy: cannot read the event file "bad.json"',
    ],
  ])('exits 2 for %s, naming the file, before any AWS call', async (_, files, message) => {
    const io = recordingIo(files);

    const code = await main(['run', '--event', 'good.json', '--event', 'bad.json', '--json'], io);

    expect(code).toBe(EXIT.refused);
    expect(io.out).toEqual([]);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]?.startsWith(message)).toBe(true);
    expect(io.read).toEqual(['good.json', 'bad.json']);
  });
});

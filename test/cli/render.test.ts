import { describe, expect, it } from 'vitest';
import type { WhoUsesReport } from '../../functions/app/who-uses.ts';
import { printable, printableJson } from '../../functions/cli/printable.ts';
import { renderReport, renderWhoUses } from '../../functions/cli/render.ts';
import type { Report, ServiceOutcome } from '../../functions/core/report.ts';

const ESC = '\u001b';
/** A name that, printed raw, would wipe its line and print a forged row of the table. */
const FORGED = `api${ESC}[2K\r\nforged   prod     redeployed`;
/** Every character a terminal acts on, besides the newlines that separate the lines of the text. */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters left raw.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const report: Report = {
  change: {
    kind: 'ssm',
    arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/url',
    name: '/prod/api/url',
    account: '123456789012',
    region: 'us-east-1',
    label: null,
    versionId: `v1${ESC}]0;title\u0007`,
    trigger: 'Parameter Store Change',
  },
  ignored: null,
  dryRun: true,
  summary: { matched: 1, redeployed: 0, wouldRedeploy: 1, queued: 0, deferred: 0, skipped: 0, failed: 0 },
  scanned: { clusters: 1, services: 1, taskDefinitions: 1 },
  durationMs: 5,
  services: [
    {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api',
      serviceName: FORGED,
      clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/prod\u202e`,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:1',
      action: 'would-redeploy',
      reason: `Error: bad\u009b31m`,
      deploymentId: null,
      via: 'ecs',
      strategy: null,
      deploymentGroup: null,
      detail: null,
      references: [{ container: `app${ESC}c`, field: 'secrets', valueFrom: '/prod/api/url' }],
    },
  ],
};

describe('printable', () => {
  it.each([
    ['plain text', 'prod/db-password', 'prod/db-password'],
    ['an ANSI escape', `a${ESC}[31mb`, 'a\\x1b[31mb'],
    ['newline, carriage return and tab', 'a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['DEL and a C1 control sequence introducer', 'a\u007fb\u009bc', 'a\\x7fb\\x9bc'],
    ['a right-to-left override', 'abc\u202edef', 'abc\\u202edef'],
    ['a line separator', 'a\u2028b', 'a\\u2028b'],
  ])('escapes %s', (_, text, expected) => {
    expect(printable(text)).toBe(expected);
  });
});

describe('printableJson', () => {
  it('escapes what JSON.stringify leaves raw and still parses back to the same value', () => {
    const value = { name: `a\u009bb\u202ec${ESC}d` };

    const text = printableJson(value);

    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('\\u009b');
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('renderReport', () => {
  it('prints every name from outside with its control characters escaped, so no line can be forged', () => {
    const text = renderReport(report);

    expect(text).not.toMatch(CONTROL);
    expect(text.split('\n').some((line) => line.startsWith('forged'))).toBe(false);
    expect(text).toContain('api\\x1b[2K\\r\\nforged');
    expect(text).toContain('version v1\\x1b]0;title\\x07');
    expect(text).toContain('prod\\u202e');
    expect(text).toContain('Error: bad\\x9b31m');
    expect(text).toContain('app\\x1bc.secrets');
  });
});

describe("renderReport of a change that rode on another change's deployment", () => {
  it('names the deployment once and says the change rode on it, counting no second deployment', () => {
    const rode: Report = {
      ...report,
      dryRun: false,
      summary: {
        matched: 1,
        redeployed: 0,
        wouldRedeploy: 0,
        queued: 0,
        deferred: 0,
        skipped: 0,
        failed: 0,
        rodeOn: 1,
      },
      services: report.services.map((service) => ({
        ...service,
        serviceName: 'api',
        action: 'redeployed' as const,
        reason: null,
        deploymentId: 'ecs-svc/123',
        rodeOn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf|AWSCURRENT|v2',
        detail:
          'one deployment carries this change and secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf, which this service also reads: it was started for that change',
      })),
    };

    const text = renderReport(rode);

    expect(text).toContain(
      "Summary: 1 services use it: 0 redeployed, 1 rode on another change's deployment, 0 skipped, 0 failed.",
    );
    expect(text).toContain('api: one deployment carries this change and secret');
    expect(text.match(/ecs-svc\/123/g)).toHaveLength(1);
  });
});

describe('renderWhoUses', () => {
  it('prints the query and the services with their control characters escaped', () => {
    const whoUses: WhoUsesReport = {
      query: `/prod/api${ESC}[8m`,
      services: [
        {
          serviceArn: report.services[0]?.serviceArn ?? '',
          serviceName: FORGED,
          clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
          taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/api${ESC}:1`,
          references: [],
        },
      ],
      unreadable: [
        { serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/prod/x\r`, reason: `E: ${ESC}` },
      ],
      scanned: { clusters: 1, services: 2, taskDefinitions: 2 },
      durationMs: 3,
    };

    const text = renderWhoUses(whoUses);

    expect(text).not.toMatch(CONTROL);
    expect(text.split('\n').some((line) => line.startsWith('forged'))).toBe(false);
    expect(text).toContain('/prod/api\\x1b[8m');
  });
});

describe('renderReport of the flap guard', () => {
  const deferred: ServiceOutcome = {
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/api',
    serviceName: 'api',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/main',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:1',
    action: 'deferred',
    reason: 'flap guard: 6 forced deployments in the last hour; the next from 2025-11-09T16:00:00.000Z',
    deploymentId: null,
    via: 'ecs',
    strategy: null,
    deploymentGroup: null,
    detail: null,
    references: [{ container: 'api', field: 'secrets', valueFrom: '/prod/flag' }],
  };
  const flapping: Report = {
    change: {
      kind: 'ssm',
      arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/flag',
      name: '/prod/flag',
      account: '123456789012',
      region: 'us-east-1',
      label: null,
      versionId: null,
      trigger: 'Parameter Store Change',
    },
    ignored: null,
    dryRun: false,
    services: [deferred, { ...deferred, serviceName: 'web', action: 'queued', reason: null }],
    summary: { matched: 2, redeployed: 0, wouldRedeploy: 0, queued: 1, deferred: 1, skipped: 0, failed: 0 },
    scanned: { clusters: 1, services: 2, taskDefinitions: 1 },
    durationMs: 12,
  };

  it('shows a deferred service, why and until when, and counts it apart from the queued ones', () => {
    const text = renderReport(flapping);

    expect(text).toMatch(
      /^api +main +deferred +flap guard: 6 forced deployments in the last hour; the next from 2025-11-09T16:00:00.000Z/m,
    );
    expect(text).toContain(
      '1 queued for the redeploy worker, 1 deferred by the flap guard (queued, deployed once when their hour allows), 0 redeployed',
    );
  });
});

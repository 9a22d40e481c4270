import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, logicalIdOf, removeDir, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});
afterAll(() => removeDir(bundleDir));

const thisAccountAndRegion = (resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ecs:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});

/** Every Action of every policy statement anywhere in the template (roles, policies, resource policies). */
function allActions(template: Record<string, unknown>): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (
          (key === 'Action' || key === 'NotAction') &&
          (typeof child === 'string' || Array.isArray(child))
        ) {
          found.push(...[child].flat().map(String));
        }
        walk(child);
      }
    }
  };
  walk(template);
  return found;
}

describe('IAM', () => {
  it.each(['secretChanged', 'parameterChanged'] as const)(
    'lets the %s function scan ECS and force new deployments, scoped to this account and Region',
    (key) => {
      // Prepare
      const { stack, template } = synthesize(bundleDir);
      const fn = stack.redeploy[key];

      // Act
      const policy = template.toJSON().Resources[logicalIdOf(fn.node.findChild('RedeployPolicy'))].Properties;

      // Assess
      expect(policy.Roles).toEqual([{ Ref: logicalIdOf(fn.role) }]);
      expect(policy.PolicyDocument.Statement).toEqual([
        {
          Sid: 'DiscoverClustersTaskDefinitionsAndTaggedServices',
          Effect: 'Allow',
          Action: ['ecs:ListClusters', 'ecs:DescribeTaskDefinition', 'tag:GetResources'],
          Resource: '*',
        },
        {
          Sid: 'ListServicesOfThisAccountAndRegion',
          Effect: 'Allow',
          Action: 'ecs:ListServices',
          Resource: '*',
          Condition: { ArnLike: { 'ecs:cluster': thisAccountAndRegion('cluster/*') } },
        },
        {
          Sid: 'DescribeAndRedeployServicesOfThisAccountAndRegion',
          Effect: 'Allow',
          Action: ['ecs:DescribeServices', 'ecs:UpdateService'],
          Resource: thisAccountAndRegion('service/*/*'),
        },
      ]);
    },
  );

  it('lets each function write only to its own log group, with no AWS managed policy', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act & Assess
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
    for (const fn of stack.redeploy.functions) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalIdOf(fn.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [logicalIdOf(fn.logGroup), 'Arn'] },
            },
          ]),
        },
      });
    }
  });

  it.each([
    ['the defaults', {}],
    [
      'every option on',
      { cloudTrailFallback: true, tracing: true, dryRun: true, alarmEmail: 'ops@example.com' },
    ],
  ])('grants nothing that reads a secret value, a parameter value or decrypts, with %s', (_, props) => {
    // Prepare
    const { template } = synthesize(bundleDir, props);

    // Act
    const actions = allActions(template.toJSON());

    // Assess
    expect(actions).toContain('ecs:UpdateService'); // the walk does see the policies
    const forbidden = actions.filter((action) =>
      /^(secretsmanager:(GetSecretValue|BatchGetSecretValue|\*)|ssm:(GetParameter|\*)|kms:(Decrypt|\*)|\*$)/i.test(
        action,
      ),
    );
    expect(forbidden).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/GetSecretValue|ssm:GetParameter|kms:Decrypt/i);
  });

  it('grants no wildcard action anywhere', () => {
    // Prepare
    const { template } = synthesize(bundleDir, { cloudTrailFallback: true, tracing: true });

    // Act
    const wildcards = allActions(template.toJSON()).filter((action) => action.includes('*'));

    // Assess: the queues' deny-without-TLS statements are the only ones, and they deny.
    expect(wildcards).toEqual(['sqs:*', 'sqs:*']);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:*', Effect: 'Deny' })]) },
    });
  });
});

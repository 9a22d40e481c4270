import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { optionsFromContext } from '../../infra/context.ts';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const thisAccountAndRegion = (resource: string, service = 'ecs') => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});
const codeDeploy = (resource: string) => thisAccountAndRegion(resource, 'codedeploy');

/** The change scanner's reads that find a CODE_DEPLOY service's deployment group. */
const FIND_DEPLOYMENT_GROUPS = [
  {
    Sid: 'ListCodeDeployApplications',
    Effect: 'Allow',
    Action: 'codedeploy:ListApplications',
    Resource: '*',
  },
  {
    Sid: 'ListTheDeploymentGroupsOfEachApplication',
    Effect: 'Allow',
    Action: 'codedeploy:ListDeploymentGroups',
    Resource: codeDeploy('application:*'),
  },
  {
    Sid: 'ReadTheDeploymentGroupsToFindTheirServices',
    Effect: 'Allow',
    Action: ['codedeploy:GetDeploymentGroup', 'codedeploy:BatchGetDeploymentGroups'],
    Resource: codeDeploy('deploymentgroup:*/*'),
  },
];

/** The worker's CodeDeploy deployment of a service as it runs, through its group. */
const DEPLOY_THROUGH_CODEDEPLOY = [
  {
    Sid: 'DeployCodeDeployServicesThroughTheirGroup',
    Effect: 'Allow',
    Action: ['codedeploy:CreateDeployment', 'codedeploy:ListDeployments', 'codedeploy:GetDeployment'],
    Resource: codeDeploy('deploymentgroup:*/*'),
  },
  {
    Sid: 'RecordTheInlineAppSpecRevision',
    Effect: 'Allow',
    Action: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
    Resource: codeDeploy('application:*'),
  },
  {
    Sid: 'ReadTheGroupsDeploymentConfiguration',
    Effect: 'Allow',
    Action: 'codedeploy:GetDeploymentConfig',
    Resource: codeDeploy('deploymentconfig:*'),
  },
];

/** Every Action of every policy statement anywhere in the template (roles, policies, resource policies). */
function allActions(template: unknown): string[] {
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
    'lets the %s function read change metadata and buffer the change, and nothing of ECS or the table',
    (key) => {
      // Prepare
      const { stack, template } = synthesize(bundleDir);
      const fn = stack.redeploy[key];
      const buffer = { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.changeBuffer), 'Arn'] };

      // Act
      const policy = template.toJSON().Resources[logicalIdOf(fn.node.findChild('PlanPolicy'))].Properties;

      // Assess
      expect(policy.Roles).toEqual([{ Ref: logicalIdOf(fn.role) }]);
      expect(policy.PolicyDocument.Statement).toEqual([
        {
          // Any Region (a forwarded event can name a secret there), this account only unless sourceAccounts.
          Sid: 'ReadWhichVersionASecretLabelPointsTo',
          Effect: 'Allow',
          Action: 'secretsmanager:DescribeSecret',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:*:',
                { Ref: 'AWS::AccountId' },
                ':secret:*',
              ],
            ],
          },
        },
        {
          Sid: 'ReadTheVersionOfAParameter',
          Effect: 'Allow',
          Action: 'ssm:DescribeParameters',
          Resource: '*',
        },
        { Sid: 'BufferChanges', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: buffer },
      ]);
    },
  );

  it('lets the change scanner scan ECS, keep its state and queue redeploys, but not redeploy nor read metadata', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const fn = stack.redeploy.changeScanner;
    const table = { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.stateTable), 'Arn'] };
    const queue = { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.redeployQueue), 'Arn'] };

    // Act
    const policy = template.toJSON().Resources[logicalIdOf(fn.node.findChild('PlanPolicy'))].Properties;

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
        Sid: 'DescribeServicesOfThisAccountAndRegion',
        Effect: 'Allow',
        Action: 'ecs:DescribeServices',
        Resource: thisAccountAndRegion('service/*/*'),
      },
      {
        Sid: 'KeepTaskDefinitionsAndHandledChangesInTheStateTable',
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
        ],
        Resource: table,
      },
      { Sid: 'QueueRedeploys', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queue },
      ...FIND_DEPLOYMENT_GROUPS,
      {
        Sid: 'WatchEachChangeUntilItSettles',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
      },
    ]);
  });

  it('lets the change scanner consume the change buffer, and nothing else of SQS but queueing redeploys and watching changes', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const scanner = stack.redeploy.changeScanner;

    // Act
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalIdOf(scanner.role) }] },
      }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const sqsStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action: string) => action.startsWith('sqs:')),
    );

    // Assess
    expect(sqsStatements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ],
          Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.changeBuffer), 'Arn'] },
        },
      ]),
    );
    // Consuming the buffer, queueing redeploys, watching each change on the settle queue.
    expect(sqsStatements).toHaveLength(3);
  });

  it('lets the worker force new deployments of this account’s services and track them in the table', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const worker = stack.redeploy.redeployWorker;

    // Act
    const policy =
      template.toJSON().Resources[logicalIdOf(worker.node.findChild('RedeployPolicy'))].Properties;

    // Assess
    expect(policy.Roles).toEqual([{ Ref: logicalIdOf(worker.role) }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Sid: 'RedeployServicesOfThisAccountAndRegion',
        Effect: 'Allow',
        Action: ['ecs:UpdateService', 'ecs:DescribeServices'],
        Resource: thisAccountAndRegion('service/*/*'),
      },
      {
        Sid: 'NeverRedeployOptedOutServices',
        Effect: 'Deny',
        Action: 'ecs:UpdateService',
        Resource: '*',
        Condition: { StringEqualsIgnoreCase: { 'aws:ResourceTag/rotation-redeploy': 'off' } },
      },
      {
        // TransactWriteItems is authorized by the Put and Update of each of its items.
        Sid: 'ClaimAndCompletePendingRedeploys',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.stateTable), 'Arn'] },
      },
      {
        // A service a change function could not decide for is decided afresh by the worker.
        Sid: 'ReadTaskDefinitionsToDecideRechecks',
        Effect: 'Allow',
        Action: 'ecs:DescribeTaskDefinition',
        Resource: '*',
      },
      ...DEPLOY_THROUGH_CODEDEPLOY,
      ...FIND_DEPLOYMENT_GROUPS,
      {
        // Held by the flap guard or waiting for its CodeDeploy group, a redeploy goes back, delayed.
        Sid: 'PutRedeploysBackOnTheQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.redeployQueue), 'Arn'] },
      },
      {
        Sid: 'ScheduleTheFirstLookAtEachDeployment',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
      },
    ]);
  });

  it('grants no CodeDeploy action at all when CodeDeploy is turned off, and iam:PassRole never', () => {
    // Prepare
    const on = synthesize(bundleDir).template.toJSON();

    // Act
    const off = synthesize(bundleDir, { codeDeploy: false }).template.toJSON();

    // Assess
    expect(allActions(on).filter((action) => action.startsWith('codedeploy:')).length).toBeGreaterThan(0);
    expect(allActions(off).filter((action) => action.startsWith('codedeploy:'))).toEqual([]);
    // CodeDeploy acts with the service role its group names: the tool passes no role to anything.
    expect(allActions(on)).not.toContain('iam:PassRole');
    // With or without CodeDeploy, the worker reads a service afresh before it redeploys it; the change
    // scanner and the reconcile describe services to scan, the settle function to follow what was started.
    expect(allActions(off).filter((action) => action === 'ecs:DescribeServices')).toHaveLength(4);
  });

  it('lets the settle function read deployments, keep the ledgers, look again later and publish, nothing more', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const fn = stack.redeploy.settleFunction;
    const arnOf = (construct: Parameters<typeof logicalIdOf>[0]) => ({
      'Fn::GetAtt': [logicalIdOf(construct), 'Arn'],
    });

    // Act
    const policy = template.toJSON().Resources[logicalIdOf(fn.node.findChild('SettlePolicy'))].Properties;
    const everything = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalIdOf(fn.role) }] } }),
    ).flatMap(allActions);

    // Assess
    expect(policy.Roles).toEqual([{ Ref: logicalIdOf(fn.role) }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Sid: 'ReadServicesAndTheirDeployments',
        Effect: 'Allow',
        Action: ['ecs:DescribeServices', 'ecs:ListServiceDeployments'],
        Resource: thisAccountAndRegion('service/*/*'),
      },
      {
        Sid: 'ReadServiceDeployments',
        Effect: 'Allow',
        Action: 'ecs:DescribeServiceDeployments',
        Resource: thisAccountAndRegion('service-deployment/*/*/*'),
      },
      {
        Sid: 'ListStoppedTasksOfThisAccountAndRegion',
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: { ArnLike: { 'ecs:cluster': thisAccountAndRegion('cluster/*') } },
      },
      {
        Sid: 'ReadWhyATaskStopped',
        Effect: 'Allow',
        Action: 'ecs:DescribeTasks',
        Resource: thisAccountAndRegion('task/*/*'),
      },
      {
        Sid: 'ReadCodeDeployDeployments',
        Effect: 'Allow',
        Action: 'codedeploy:GetDeployment',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':codedeploy:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':deploymentgroup:*/*',
            ],
          ],
        },
      },
      {
        Sid: 'KeepStartedDeploymentsAndLedgers',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: arnOf(stack.redeploy.stateTable),
      },
      {
        Sid: 'ScheduleTheNextLook',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arnOf(stack.redeploy.settleQueue),
      },
      {
        Sid: 'PublishSettledReports',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: { Ref: logicalIdOf(stack.redeploy.notifyTopic) },
      },
    ]);
    // Beside that policy: its log group, and consuming its own queue (the event source's grant).
    expect(
      everything.filter(
        (action) =>
          !/^(ecs:(Describe|List)|codedeploy:Get|dynamodb:(GetItem|UpdateItem)$|sqs:|sns:Publish$|logs:(CreateLogStream|PutLogEvents)$)/.test(
            action,
          ),
      ),
    ).toEqual([]);
    expect(everything).not.toContain('ecs:UpdateService');
    expect(everything).not.toContain('dynamodb:PutItem');
  });

  it('lets the settle function publish to an existing notification topic instead', () => {
    // Prepare
    const topic = 'arn:aws:sns:eu-west-1:123456789012:rotation-reports';
    const { stack, template } = synthesize(bundleDir, { notifyTopicArn: topic });
    const fn = stack.redeploy.settleFunction;

    // Act
    const policy = template.toJSON().Resources[logicalIdOf(fn.node.findChild('SettlePolicy'))].Properties;

    // Assess
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Sid: 'PublishSettledReports',
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: topic,
    });
  });

  it('lets the worker consume, delay and put back messages of the redeploy queue, and only schedule looks on the settle queue', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const worker = stack.redeploy.redeployWorker;

    // Act
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalIdOf(worker.role) }] },
      }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const sqsStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action: string) => action.startsWith('sqs:')),
    );

    // Assess
    expect(sqsStatements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.redeployQueue), 'Arn'] },
      },
      {
        Sid: 'PutRedeploysBackOnTheQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.redeployQueue), 'Arn'] },
      },
      {
        Sid: 'ScheduleTheFirstLookAtEachDeployment',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.redeploy.settleQueue), 'Arn'] },
      },
    ]);
  });

  it.each([
    ['the defaults', {}],
    ['every option on', { cloudTrailFallback: true, tracing: true, dryRun: true }],
  ])('grants ecs:UpdateService to the worker’s role only, with %s', (_, props) => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, props);

    // Act
    const granting = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      allActions(policy).includes('ecs:UpdateService'),
    );

    // Assess
    expect(granting.map((policy) => policy.Properties.Roles)).toEqual([
      [{ Ref: logicalIdOf(stack.redeploy.redeployWorker.role) }],
    ]);
    for (const fn of [...stack.redeploy.changeFunctions, stack.redeploy.changeScanner]) {
      const own = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalIdOf(fn.role) }] },
        }),
      );
      expect(own.length).toBeGreaterThan(0);
      expect(own.flatMap(allActions)).not.toContain('ecs:UpdateService');
    }
  });

  it.each([
    ['the defaults', {}],
    ['every option on', { cloudTrailFallback: true, tracing: true, dryRun: true }],
  ])(
    'denies ecs:UpdateService on services tagged rotation-redeploy=off to every role allowed it, with %s',
    (_, props) => {
      // Prepare
      const { template } = synthesize(bundleDir, props);
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));

      // Act
      const allowing = policies.filter((policy) =>
        policy.Properties.PolicyDocument.Statement.some(
          (statement: { Effect: string; Action: unknown }) =>
            statement.Effect === 'Allow' && [statement.Action].flat().includes('ecs:UpdateService'),
        ),
      );

      // Assess
      expect(allowing.length).toBeGreaterThan(0);
      for (const policy of allowing) {
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
          Sid: 'NeverRedeployOptedOutServices',
          Effect: 'Deny',
          Action: 'ecs:UpdateService',
          Resource: '*',
          Condition: { StringEqualsIgnoreCase: { 'aws:ResourceTag/rotation-redeploy': 'off' } },
        });
      }
    },
  );

  it('lets no one but the stack’s own functions send to the redeploy queue', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const queue = logicalIdOf(stack.redeploy.redeployQueue);

    // Act
    const statements = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queue }] } }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

    // Assess
    expect(statements).toContainEqual({
      Sid: 'OnlyThisStackQueuesRedeploys',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      Condition: {
        ArnNotEquals: {
          'aws:PrincipalArn': stack.redeploy.functions.map((fn) => ({
            'Fn::GetAtt': [logicalIdOf(fn.role), 'Arn'],
          })),
        },
        BoolIfExists: { 'aws:ViaAWSService': 'false' },
      },
    });
  });

  it('lets the redrive roles it is given send to the redeploy queue too', () => {
    // Prepare
    const redrive = 'arn:aws:iam::123456789012:role/operator';
    // As `npx cdk deploy -c redriveRoleArns=...` gives it.
    const { redriveRoleArns } = optionsFromContext({ redriveRoleArns: redrive });
    const { stack, template } = synthesize(bundleDir, { redriveRoleArns });

    // Act
    const [policy] = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', {
        Properties: { Queues: [{ Ref: logicalIdOf(stack.redeploy.redeployQueue) }] },
      }),
    );
    const deny = policy?.Properties.PolicyDocument.Statement.find(
      (statement: { Sid?: string }) => statement.Sid === 'OnlyThisStackQueuesRedeploys',
    );

    // Assess
    expect(deny.Condition.ArnNotEquals['aws:PrincipalArn']).toContain(redrive);
  });

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
      {
        cloudTrailFallback: true,
        tracing: true,
        dryRun: true,
        alarmEmail: 'ops@example.com',
        notifyEmail: 'ops@example.com',
        notifyOn: 'all' as const,
      },
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

    // Assess: the eight queues' deny-without-TLS statements are the only ones, and they deny.
    expect(wildcards).toEqual(Array(8).fill('sqs:*'));
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:*', Effect: 'Deny' })]) },
    });
  });
});

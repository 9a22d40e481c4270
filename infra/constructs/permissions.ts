/**
 * What each function may do, as one inline policy per function. Each statement that cdk-nag flags carries
 * its acknowledgement beside it, with the reason a reviewer can check; none grants reading a secret or
 * parameter value, or decrypting one.
 */
import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { OPT_TAG_KEY } from '../../functions/contract.ts';
import { OPT_OUT } from '../../functions/core/service.ts';
import type { BundledFunction } from './bundled-function.ts';

/** A cdk-nag finding, and the reason it is right anyway. */
interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** A policy statement, and the cdk-nag findings it raises (one per flagged resource). */
export interface Grant {
  readonly statement: iam.PolicyStatementProps;
  readonly acknowledge?: Acknowledgement | readonly Acknowledgement[];
}

/** cdk-nag's id for a wildcard in a statement's resource, as it renders the resource. */
const WILDCARD_RESOURCE = 'AwsSolutions-IAM5[Resource::*]';
const ANY_SERVICE_OF_THIS_ACCOUNT_AND_REGION =
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]';
const ANY_CODEDEPLOY_DEPLOYMENT_GROUP =
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:*/*]';
const ANY_CODEDEPLOY_APPLICATION =
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:application:*]';
const ANY_CODEDEPLOY_DEPLOYMENT_CONFIG =
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentconfig:*]';

export interface PlanPermissionsProps {
  readonly stateTable: dynamodb.ITable;
  readonly redeployQueue: sqs.IQueue;
  /** Also find CODE_DEPLOY services' deployment groups (reads only). */
  readonly codeDeploy: boolean;
  /** The settle queue: the change scanner asks it to watch each change it queued until the change settles. */
  readonly settleQueue: sqs.IQueue;
}

/**
 * Gives the change scanner what planning needs, as one inline policy `PlanPolicy`: list clusters and services,
 * describe services and task definitions, find tagged services, keep its state in the table, and queue
 * redeploys. No `ecs:UpdateService` (only the worker redeploys), and no metadata read: the change functions
 * read each change's metadata before the buffer.
 */
export function grantPlanning(fn: BundledFunction, props: PlanPermissionsProps): iam.Policy {
  const stack = Stack.of(fn);
  return attachPolicy(fn, 'PlanPolicy', [
    ...scanEcs(stack, 'DiscoverClustersTaskDefinitionsAndTaggedServices', [
      'ecs:ListClusters',
      'ecs:DescribeTaskDefinition',
      'tag:GetResources',
    ]),
    {
      statement: {
        sid: 'KeepTaskDefinitionsAndHandledChangesInTheStateTable',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
        ],
        resources: [props.stateTable.tableArn],
      },
    },
    {
      statement: {
        sid: 'QueueRedeploys',
        actions: ['sqs:SendMessage'],
        resources: [props.redeployQueue.queueArn],
      },
    },
    ...(props.codeDeploy ? findDeploymentGroups(stack) : []),
    {
      statement: {
        sid: 'WatchEachChangeUntilItSettles',
        actions: ['sqs:SendMessage'],
        resources: [props.settleQueue.queueArn],
      },
    },
  ]);
}

export interface BufferPermissionsProps {
  readonly changeBuffer: sqs.IQueue;
  /**
   * The accounts whose change events count: DescribeSecret is allowed on their secrets only.
   * @default - this stack's account alone
   */
  readonly sourceAccounts?: readonly string[];
}

/**
 * Gives a change function what buffering a change needs, as one inline policy `PlanPolicy` (the name its
 * wider policy had before the buffer): read the metadata (never the value) of the changed secret or
 * parameter, and put the change in the change buffer. No ECS action, no state table.
 */
export function grantBuffering(fn: BundledFunction, props: BufferPermissionsProps): iam.Policy {
  const stack = Stack.of(fn);
  // Any Region (a forwarded event can name a secret in another one), but only the accounts whose events count.
  const accounts = props.sourceAccounts ?? [stack.account];
  return attachPolicy(fn, 'PlanPolicy', [
    {
      statement: {
        sid: 'ReadWhichVersionASecretLabelPointsTo',
        actions: ['secretsmanager:DescribeSecret'],
        resources: accounts.map((account) => secretsOf(stack, account)),
      },
      acknowledge: accounts.map((account) => ({
        id: secretsFinding(account),
        reason:
          'The changed secret is known only from the event, in any Region of the accounts whose events count (sourceAccounts). secretsmanager:DescribeSecret returns metadata (which version each label points to), never the value, and another account answers only where its secret’s resource policy allows this role.',
      })),
    },
    {
      statement: {
        sid: 'ReadTheVersionOfAParameter',
        actions: ['ssm:DescribeParameters'],
        resources: ['*'],
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'ssm:DescribeParameters supports no resource-level permissions; it returns metadata and a version number, never a value.',
      },
    },
    {
      statement: {
        sid: 'BufferChanges',
        actions: ['sqs:SendMessage'],
        resources: [props.changeBuffer.queueArn],
      },
    },
  ]);
}

/**
 * Reads that find the CodeDeploy deployment group naming a service: list the applications, list each one's
 * groups, read the groups (`ecsServices`, deployment configuration). No write.
 */
function findDeploymentGroups(stack: Stack): Grant[] {
  return [
    {
      statement: {
        sid: 'ListCodeDeployApplications',
        actions: ['codedeploy:ListApplications'],
        resources: ['*'],
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'codedeploy:ListApplications supports no resource-level permissions; it returns application names only.',
      },
    },
    {
      statement: {
        sid: 'ListTheDeploymentGroupsOfEachApplication',
        actions: ['codedeploy:ListDeploymentGroups'],
        resources: [codeDeployArn(stack, 'application', '*')],
      },
      acknowledge: {
        id: ANY_CODEDEPLOY_APPLICATION,
        reason:
          'Which application deploys a service is known only from its groups, so every application of this account and Region is listed; the ARN pins account and Region, and the action only lists group names.',
      },
    },
    {
      statement: {
        sid: 'ReadTheDeploymentGroupsToFindTheirServices',
        actions: ['codedeploy:GetDeploymentGroup', 'codedeploy:BatchGetDeploymentGroups'],
        resources: [deploymentGroupArns(stack)],
      },
      acknowledge: {
        id: ANY_CODEDEPLOY_DEPLOYMENT_GROUP,
        reason:
          'Which deployment group deploys a service is known only from the groups themselves (their ecsServices), so every group of this account and Region is read; the ARN pins account and Region, and these actions only read.',
      },
    },
  ];
}

export interface ReconcilePermissionsProps {
  readonly stateTable: dynamodb.ITable;
  /** Given in `fix` mode only: the queue the stale services' redeploys go to. */
  readonly redeployQueue?: sqs.IQueue | undefined;
  /** Given in `fix` mode only: where each change it queued is watched until it settles. */
  readonly settleQueue?: sqs.IQueue | undefined;
  /** Selection mode `tagged`: the services are found through the tagging API. */
  readonly tagged: boolean;
  /**
   * The accounts whose secrets it may date, as for the change functions' DescribeSecret.
   * @default - this stack's account alone
   */
  readonly sourceAccounts?: readonly string[] | undefined;
}

/**
 * Gives the reconcile what the audit needs, as one inline policy `ReconcilePolicy`: the scan's ECS reads, when
 * each referenced secret's versions were created (ListSecretVersionIds) and each parameter was last written
 * (DescribeParameters), metadata only; the state table's cached task definition references and recorded label
 * moves; and, in `fix` mode only, the pending records and messages that queue a redeploy, and the change
 * ledgers and messages that follow it until it settles. No UpdateService, no secret or parameter value, no
 * decryption.
 */
export function grantReconciling(fn: BundledFunction, props: ReconcilePermissionsProps): iam.Policy {
  const stack = Stack.of(fn);
  const accounts = props.sourceAccounts ?? [stack.account];
  const fix = props.redeployQueue !== undefined;
  const discovery = [
    'ecs:ListClusters',
    'ecs:DescribeTaskDefinition',
    ...(props.tagged ? ['tag:GetResources'] : []),
  ];
  return attachPolicy(fn, 'ReconcilePolicy', [
    ...scanEcs(stack, 'DiscoverClustersAndTaskDefinitions', discovery),
    {
      statement: {
        sid: 'ReadWhenEachSecretVersionWasCreated',
        actions: ['secretsmanager:ListSecretVersionIds'],
        resources: accounts.map((account) => secretsOf(stack, account)),
      },
      acknowledge: accounts.map((account) => ({
        id: secretsFinding(account),
        reason:
          'The secrets task definitions reference are known only from the scan, in any Region of the accounts whose secrets the tool trusts (sourceAccounts). secretsmanager:ListSecretVersionIds returns each version’s labels and creation time, never a value, and another account answers only where its secret’s resource policy allows this role; a reference to an account not listed is reported as one the audit cannot date.',
      })),
    },
    {
      statement: {
        sid: 'ReadWhenEachParameterWasWritten',
        actions: ['ssm:DescribeParameters'],
        resources: ['*'],
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'ssm:DescribeParameters supports no resource-level permissions either; it returns metadata, a version number and the last write time, never a value.',
      },
    },
    {
      statement: {
        sid: fix ? 'ReadCachedReferencesAndMovesAndRecordPendingRedeploys' : 'ReadCachedReferencesAndMoves',
        // BatchGetItem: cached task definition references and recorded label moves; BatchWriteItem: caching
        // the references of task definitions read from ECS (immutable revisions). UpdateItem and PutItem record
        // a queued service as pending, so the worker redeploys it once per change, and expect it in its change's
        // ledger (fix only).
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          ...(fix ? ['dynamodb:UpdateItem', 'dynamodb:PutItem'] : []),
        ],
        resources: [props.stateTable.tableArn],
      },
    },
    ...(props.redeployQueue === undefined
      ? []
      : [
          {
            statement: {
              sid: 'QueueRedeploys',
              actions: ['sqs:SendMessage'],
              resources: [props.redeployQueue.queueArn],
            },
          },
        ]),
    ...(props.settleQueue === undefined
      ? []
      : [
          {
            statement: {
              sid: 'WatchEachChangeUntilItSettles',
              actions: ['sqs:SendMessage'],
              resources: [props.settleQueue.queueArn],
            },
          },
        ]),
  ]);
}

export interface RedeployPermissionsProps {
  readonly stateTable: dynamodb.ITable;
  /** Also deploy CODE_DEPLOY services through their deployment group. */
  readonly codeDeploy: boolean;
  /** The flap guard puts a deferred redeploy back on this queue, delayed until the hour allows. */
  readonly redeployQueue: sqs.IQueue;
  /** The settle queue: the worker schedules the first look at each deployment it starts. */
  readonly settleQueue: sqs.IQueue;
}

/**
 * The statement every role that may call `ecs:UpdateService` carries: no service tagged to opt out can be
 * redeployed through it, whatever a message or a bug says. An explicit deny wins over any allow; the tag's
 * value is compared without regard to case, as the worker compares it.
 */
export function denyRedeployingOptedOut(): Grant {
  return {
    statement: {
      sid: 'NeverRedeployOptedOutServices',
      effect: iam.Effect.DENY,
      actions: ['ecs:UpdateService'],
      resources: ['*'],
      conditions: { StringEqualsIgnoreCase: { [`aws:ResourceTag/${OPT_TAG_KEY}`]: OPT_OUT } },
    },
  };
}

/**
 * Gives the worker what a queued redeploy needs, as one inline policy `RedeployPolicy`: read a service afresh
 * (its tags and deployments) and force a new deployment of it, never of one tagged to opt out; claim, release
 * and complete the service's pending item in the state table (TransactWriteItems is authorized by the PutItem
 * and UpdateItem of its items), keep the flap guard's record there; put a message back on the queue (a
 * deferred redeploy, a wait for a deployment group, or a message handed back untried when the invocation runs
 * out of time); read task definitions (and, with CodeDeploy, find deployment groups) to decide afresh for a
 * service a change function could not decide for. Receiving, deleting and delaying (ChangeMessageVisibility)
 * its messages comes with the SQS event source.
 */
export function grantRedeploying(fn: BundledFunction, props: RedeployPermissionsProps): iam.Policy {
  return attachPolicy(fn, 'RedeployPolicy', [
    {
      statement: {
        sid: 'RedeployServicesOfThisAccountAndRegion',
        actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
        resources: [serviceArns(Stack.of(fn))],
      },
      acknowledge: {
        id: ANY_SERVICE_OF_THIS_ACCOUNT_AND_REGION,
        reason:
          'The worker reads (its opt-out tag, its deployments) and redeploys whichever service uses a changed secret, in any cluster, and cannot know them at deploy time; the ARN pins account and Region.',
      },
    },
    denyRedeployingOptedOut(),
    {
      statement: {
        sid: 'ClaimAndCompletePendingRedeploys',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.stateTable.tableArn],
      },
    },
    {
      statement: {
        sid: 'ReadTaskDefinitionsToDecideRechecks',
        actions: ['ecs:DescribeTaskDefinition'],
        resources: ['*'],
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'ecs:DescribeTaskDefinition supports no resource-level permissions, so "*" is the only resource IAM accepts. The worker reads the task definition of a service a change function could not decide for, to decide afresh.',
      },
    },
    ...(props.codeDeploy
      ? [...deployThroughCodeDeploy(Stack.of(fn)), ...findDeploymentGroups(Stack.of(fn))]
      : []),
    {
      // A redeploy held back by the flap guard, waiting for its CodeDeploy group, or handed back untried for
      // lack of time goes back on the queue.
      statement: {
        sid: 'PutRedeploysBackOnTheQueue',
        actions: ['sqs:SendMessage'],
        resources: [props.redeployQueue.queueArn],
      },
    },
    {
      statement: {
        sid: 'ScheduleTheFirstLookAtEachDeployment',
        actions: ['sqs:SendMessage'],
        resources: [props.settleQueue.queueArn],
      },
    },
  ]);
}

export interface SettlePermissionsProps {
  readonly stateTable: dynamodb.ITable;
  /** Whether the worker deploys through CodeDeploy, whose deployments are then read too. */
  readonly codeDeploy: boolean;
  readonly settleQueue: sqs.IQueue;
  readonly notifyTopic: sns.ITopic;
}

/**
 * Gives the settle function reads and nothing that changes a service, as one inline policy `SettlePolicy`:
 * the services, their deployments and stopped tasks, CodeDeploy deployments; the deployments the tool started
 * and the ledgers in the state table; its next checks on its own queue (receiving and deleting come with the
 * event source); and publishing settled reports to the topic.
 */
export function grantSettling(fn: BundledFunction, props: SettlePermissionsProps): iam.Policy {
  const stack = Stack.of(fn);
  const ecsArn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ecs', resource, resourceName });
  return attachPolicy(fn, 'SettlePolicy', [
    {
      statement: {
        sid: 'ReadServicesAndTheirDeployments',
        actions: ['ecs:DescribeServices', 'ecs:ListServiceDeployments'],
        resources: [serviceArns(stack)],
      },
      acknowledge: {
        id: ANY_SERVICE_OF_THIS_ACCOUNT_AND_REGION,
        reason:
          'The settle function reads whichever service the worker redeployed, in any cluster, and cannot know them at deploy time; the ARN pins account and Region. Reads only.',
      },
    },
    {
      statement: {
        sid: 'ReadServiceDeployments',
        actions: ['ecs:DescribeServiceDeployments'],
        resources: [ecsArn('service-deployment', '*/*/*')],
      },
      acknowledge: {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service-deployment/*/*/*]',
        reason:
          'The service deployments (BLUE_GREEN, LINEAR, CANARY) of any service the worker redeployed; the ARN pins account and Region. Reads only.',
      },
    },
    {
      statement: {
        sid: 'ListStoppedTasksOfThisAccountAndRegion',
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnLike: { 'ecs:cluster': clusterArns(stack) } },
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'ecs:ListTasks supports no resource-level permissions; it is narrowed instead by the ecs:cluster condition to clusters of this account and Region.',
      },
    },
    {
      statement: {
        sid: 'ReadWhyATaskStopped',
        actions: ['ecs:DescribeTasks'],
        resources: [ecsArn('task', '*/*')],
      },
      acknowledge: {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*/*]',
        reason:
          'A stopped task of any service the worker redeployed, read for why it stopped; the ARN pins account and Region.',
      },
    },
    ...(props.codeDeploy ? [readCodeDeployDeployments(stack)] : []),
    {
      statement: {
        sid: 'KeepStartedDeploymentsAndLedgers',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.stateTable.tableArn],
      },
    },
    {
      statement: {
        sid: 'ScheduleTheNextLook',
        actions: ['sqs:SendMessage'],
        resources: [props.settleQueue.queueArn],
      },
    },
    {
      statement: {
        sid: 'PublishSettledReports',
        actions: ['sns:Publish'],
        resources: [props.notifyTopic.topicArn],
      },
    },
  ]);
}

/** Reading how a CodeDeploy deployment stands (GetDeployment), for the settle function. */
function readCodeDeployDeployments(stack: Stack): Grant {
  return {
    statement: {
      sid: 'ReadCodeDeployDeployments',
      actions: ['codedeploy:GetDeployment'],
      resources: [deploymentGroupArns(stack)],
    },
    acknowledge: {
      id: ANY_CODEDEPLOY_DEPLOYMENT_GROUP,
      reason:
        'codedeploy:GetDeployment is authorized on the deployment group, known only per service; the ARN pins account and Region. Reads only.',
    },
  };
}

/**
 * What a CodeDeploy deployment of a service as it runs needs (reading the service, its current task
 * definition, load balancer, capacity provider strategy and network, the worker may always): create the
 * deployment in its group with the AppSpec inline (CodeDeploy keeps that revision under the application, and
 * checks the group's deployment configuration), and read the group's deployments (one runs at a time; did an
 * ambiguous call land?).
 * No `iam:PassRole`: CodeDeploy acts with the service role the group already names.
 */
function deployThroughCodeDeploy(stack: Stack): Grant[] {
  return [
    {
      statement: {
        sid: 'DeployCodeDeployServicesThroughTheirGroup',
        actions: ['codedeploy:CreateDeployment', 'codedeploy:ListDeployments', 'codedeploy:GetDeployment'],
        resources: [deploymentGroupArns(stack)],
      },
      acknowledge: {
        id: ANY_CODEDEPLOY_DEPLOYMENT_GROUP,
        reason:
          'The worker deploys whichever CODE_DEPLOY service uses a changed secret, through the group that names it, and cannot know the groups at deploy time; the ARN pins account and Region.',
      },
    },
    {
      statement: {
        sid: 'RecordTheInlineAppSpecRevision',
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
        resources: [codeDeployArn(stack, 'application', '*')],
      },
      acknowledge: {
        id: ANY_CODEDEPLOY_APPLICATION,
        reason:
          'A deployment with an inline AppSpec registers that revision under the application of the service’s group, not known at deploy time; AWS lists these actions beside CreateDeployment for deploying ECS services through CodeDeploy. The ARN pins account and Region.',
      },
    },
    {
      statement: {
        sid: 'ReadTheGroupsDeploymentConfiguration',
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: [codeDeployArn(stack, 'deploymentconfig', '*')],
      },
      acknowledge: {
        id: ANY_CODEDEPLOY_DEPLOYMENT_CONFIG,
        reason:
          'A deployment uses its group’s deployment configuration (a built-in one or the account’s own), not known at deploy time; the ARN pins account and Region, and the action only reads.',
      },
    },
  ];
}

function codeDeployArn(stack: Stack, resource: string, resourceName: string): string {
  return stack.formatArn({
    service: 'codedeploy',
    resource,
    resourceName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function deploymentGroupArns(stack: Stack): string {
  return codeDeployArn(stack, 'deploymentgroup', '*/*');
}

/** Every secret of `account`, in any Region (a forwarded event or a reference can name another one). */
function secretsOf(stack: Stack, account: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    region: '*',
    account,
    resource: 'secret',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** cdk-nag's id for the wildcard in `secretsOf(account)`, as it renders the resource. */
function secretsFinding(account: string): string {
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:*:${Token.isUnresolved(account) ? '<AWS::AccountId>' : account}:secret:*]`;
}

/**
 * The reads of one scan (app/scan.ts): `discovery` (cluster, task definition and tag reads, none of which
 * takes a resource), then list the services of this account's clusters and describe them.
 */
function scanEcs(stack: Stack, discoverySid: string, discovery: readonly string[]): Grant[] {
  return [
    {
      statement: { sid: discoverySid, actions: [...discovery], resources: ['*'] },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason: `${discovery.join(', ')} support no resource-level permissions, so "*" is the only resource IAM accepts.`,
      },
    },
    {
      statement: {
        sid: 'ListServicesOfThisAccountAndRegion',
        actions: ['ecs:ListServices'],
        resources: ['*'],
        conditions: { ArnLike: { 'ecs:cluster': clusterArns(stack) } },
      },
      acknowledge: {
        id: WILDCARD_RESOURCE,
        reason:
          'ecs:ListServices supports no resource-level permissions either; it is narrowed instead by the ecs:cluster condition to clusters of this account and Region.',
      },
    },
    {
      statement: {
        sid: 'DescribeServicesOfThisAccountAndRegion',
        actions: ['ecs:DescribeServices'],
        resources: [serviceArns(stack)],
      },
      acknowledge: {
        id: ANY_SERVICE_OF_THIS_ACCOUNT_AND_REGION,
        reason:
          'A scan describes whichever services run in any cluster, and cannot know them at deploy time; the ARN pins account and Region.',
      },
    },
  ];
}

function clusterArns(stack: Stack): string {
  return stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: '*' });
}

function serviceArns(stack: Stack): string {
  return stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*/*' });
}

/**
 * One inline policy under `fn`, attached to its role and created before it. cdk-nag reports one finding per
 * policy and resource, so statements sharing a finding share one acknowledgement, their reasons joined.
 */
function attachPolicy(fn: BundledFunction, id: string, grants: readonly Grant[]): iam.Policy {
  const policy = new iam.Policy(fn, id, {
    statements: grants.map((grant) => new iam.PolicyStatement(grant.statement)),
  });
  policy.attachToRole(fn.role);
  fn.function.node.addDependency(policy);
  const reasons = new Map<string, string[]>();
  for (const acknowledge of grants.flatMap((grant) =>
    grant.acknowledge === undefined ? [] : [grant.acknowledge].flat(),
  )) {
    reasons.set(acknowledge.id, [...(reasons.get(acknowledge.id) ?? []), acknowledge.reason]);
  }
  if (reasons.size > 0) {
    Validations.of(policy).acknowledge(
      ...[...reasons].map(([findingId, why]) => ({ id: findingId, reason: why.join(' ') })),
    );
  }
  return policy;
}

/** The deployable unit: one per account and Region whose secrets and parameters should trigger redeploys. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { RotationRedeploy, type RotationRedeployProps } from './constructs/rotation-redeploy.ts';

export interface RotationRedeployStackProps
  extends StackProps,
    Omit<RotationRedeployProps, 'alarmTopic' | 'notifyTopic'> {
  /**
   * ARN of an existing SNS topic settled reports are published to.
   * @default - a new topic
   */
  readonly notifyTopicArn?: string;
  /**
   * ARN of an existing SNS topic the alarms notify.
   * @default - a new topic
   */
  readonly alarmTopicArn?: string;
}

export class RotationRedeployStack extends Stack {
  public readonly redeploy: RotationRedeploy;

  constructor(scope: Construct, id: string, props: RotationRedeployStackProps = {}) {
    super(scope, id, {
      description: 'Redeploys the Amazon ECS services that read a secret or parameter when it changes',
      ...props,
    });
    this.redeploy = new RotationRedeploy(this, 'RotationRedeploy', {
      bundleDir: props.bundleDir,
      dryRun: props.dryRun,
      selectionMode: props.selectionMode,
      concurrency: props.concurrency,
      cloudTrailFallback: props.cloudTrailFallback,
      alarmEmail: props.alarmEmail,
      alarmTopic:
        props.alarmTopicArn === undefined
          ? undefined
          : sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn),
      logRetention: props.logRetention,
      reservedConcurrency: props.reservedConcurrency,
      tracing: props.tracing,
      updatesPerSecond: props.updatesPerSecond,
      coalesceWindow: props.coalesceWindow,
      maxReceiveCount: props.maxReceiveCount,
      codeDeploy: props.codeDeploy,
      maxRedeploysPerHour: props.maxRedeploysPerHour,
      ecsShare: props.ecsShare,
      sourceAccounts: props.sourceAccounts,
      reconcile: props.reconcile,
      reconcileSchedule: props.reconcileSchedule,
      reconcileReadsPerSecond: props.reconcileReadsPerSecond,
      redriveRoleArns: props.redriveRoleArns,
      rolloutTimeoutMinutes: props.rolloutTimeoutMinutes,
      notifyEmail: props.notifyEmail,
      notifyTopic:
        props.notifyTopicArn === undefined
          ? undefined
          : sns.Topic.fromTopicArn(this, 'NotifyTopic', props.notifyTopicArn),
      notifyOn: props.notifyOn,
      changeBatchingWindow: props.changeBatchingWindow,
      changeBatchSize: props.changeBatchSize,
    });
  }
}

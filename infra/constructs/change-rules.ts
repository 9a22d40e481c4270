/** The EventBridge rules that hand each secret or parameter change to the function that handles it. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CLOUDTRAIL_SECRET_EVENT_NAMES } from '../../functions/contract.ts';
import type { BundledFunction } from './bundled-function.ts';

export interface ChangeRulesProps {
  /** Handles Secrets Manager events, native and (with `cloudTrailFallback`) CloudTrail. */
  readonly secretChanged: BundledFunction;
  /** Handles SSM Parameter Store events. */
  readonly parameterChanged: BundledFunction;
  /** Where EventBridge puts an event it could not deliver after its retries. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /**
   * Also send the Secrets Manager changes CloudTrail records.
   * @default false
   */
  readonly cloudTrailFallback?: boolean;
  /**
   * The accounts whose events count: every rule matches only events whose `account` is one of them, so an
   * account that may put events on this bus but is not named cannot make the tool scan or redeploy.
   * @default - this stack's account alone
   */
  readonly sourceAccounts?: readonly string[];
}

export interface ChangeRules {
  readonly secretLabelUpdated: events.Rule;
  readonly parameterChanged: events.Rule;
  /** Present only with `cloudTrailFallback`. */
  readonly cloudTrailSecret?: events.Rule;
}

/**
 * Creates the rules in `scope` (not a construct of their own, so their logical ids, and those of the
 * permissions they give, stay what is deployed), each targeting its function with EventBridge's longest
 * retries and the delivery dead-letter queue.
 */
export function createChangeRules(scope: Construct, props: ChangeRulesProps): ChangeRules {
  const account = [...(props.sourceAccounts ?? [Stack.of(scope).account])];
  const target = (fn: BundledFunction) =>
    new targets.LambdaFunction(fn.function, {
      deadLetterQueue: props.deliveryDeadLetterQueue,
      // EventBridge's maxima, stated so a review need not look them up.
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  const secretLabelUpdated = new events.Rule(scope, 'SecretLabelUpdatedRule', {
    description: 'Secrets Manager moved a staging label (every label: the function decides which matter)',
    eventPattern: { source: ['aws.secretsmanager'], detailType: ['Secret Label Updated'], account },
    targets: [target(props.secretChanged)],
  });
  const parameterChanged = new events.Rule(scope, 'ParameterChangedRule', {
    description: 'An SSM parameter was created or got a new value',
    eventPattern: {
      source: ['aws.ssm'],
      detailType: ['Parameter Store Change'],
      account,
      detail: { operation: ['Create', 'Update'] },
    },
    targets: [target(props.parameterChanged)],
  });
  if (!props.cloudTrailFallback) return { secretLabelUpdated, parameterChanged };
  // No filter on responseElements: the service events (RotationSucceeded) carry none, and the
  // API-call events spell the ARN key two ways. The function finds the secret and decides.
  const cloudTrailSecret = new events.Rule(scope, 'CloudTrailSecretChangeRule', {
    description: 'Secrets Manager value changes recorded by CloudTrail (fallback for the native events)',
    eventPattern: {
      source: ['aws.secretsmanager'],
      detailType: ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
      account,
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: [...CLOUDTRAIL_SECRET_EVENT_NAMES],
      },
    },
    targets: [target(props.secretChanged)],
  });
  return { secretLabelUpdated, parameterChanged, cloudTrailSecret };
}

/** The one DynamoDB table of the app's state. */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/**
 * Task definition references, once-per-change (Powertools Idempotency) records, pending and done redeploys,
 * keyed by the string `id`, each item expiring at `expiration`. On-demand, point-in-time recovery, encrypted
 * with the AWS managed key (no key policy to manage; callers need no kms permission).
 *
 * Retained on stack deletion and replacement: it holds the idempotency records that stop a repeated or
 * redriven change from redeploying again, and the pending redeploys still queued; a new empty table would
 * redeploy every service for an event delivered again within the day. For the same reason it is created in
 * `scope` under `id` (not inside a construct of its own), so its logical id stays that of the deployed table.
 */
export function createStateTable(scope: Construct, id = 'StateTable'): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: 'expiration',
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

import { beforeAll, describe, expect, it } from 'vitest';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

describe('state table', () => {
  it('is keyed by the string id, with expiration as its TTL attribute (what Powertools Idempotency writes)', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const tables = template.findResources('AWS::DynamoDB::Table');

    // Assess
    expect(Object.keys(tables)).toEqual([logicalIdOf(stack.redeploy.stateTable)]);
    const properties = Object.values(tables)[0]?.Properties;
    expect(properties.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(properties.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
    expect(properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(properties.GlobalSecondaryIndexes).toBeUndefined();
    // A generated name: two stacks in one account never collide.
    expect(properties.TableName).toBeUndefined();
  });

  it('bills on demand, keeps point-in-time recovery, and encrypts with the AWS managed key', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const properties = template.toJSON().Resources[logicalIdOf(stack.redeploy.stateTable)].Properties;

    // Assess
    expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(properties.ProvisionedThroughput).toBeUndefined();
    expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // SSE on with no key of ours: the AWS managed key, which needs no kms permission in any role.
    expect(properties.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('is retained when the stack is deleted or the table replaced: it holds the idempotency records', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const table = template.toJSON().Resources[logicalIdOf(stack.redeploy.stateTable)];

    // Assess
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('is named as TABLE_NAME to the functions that keep state (the scanner, the worker, the reconcile), and to no other', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const resources = template.toJSON().Resources;
    const tableName = (fn: (typeof stack.redeploy.functions)[number]) =>
      resources[logicalIdOf(fn.function)].Properties.Environment.Variables.TABLE_NAME;

    // Act
    const keeping = stack.redeploy.functions
      .filter((fn) => !stack.redeploy.changeFunctions.includes(fn))
      .map(tableName);
    const buffering = stack.redeploy.changeFunctions.map(tableName);

    // Assess
    expect(keeping).toEqual(Array(4).fill({ Ref: logicalIdOf(stack.redeploy.stateTable) }));
    expect(buffering).toEqual([undefined, undefined]);
  });
});

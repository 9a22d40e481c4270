import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidPropsError } from '../../infra/errors.ts';
import { createStubBundleDir, logicalIdOf, synthesize } from './synth.ts';

let bundleDir: string;
beforeAll(() => {
  bundleDir = createStubBundleDir();
});

const EXISTING_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:platform-alarms';

describe('alarms', () => {
  it('alarms on the first message in every dead-letter queue', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act & Assess
    for (const queue of [
      stack.redeploy.deliveryDeadLetterQueue,
      stack.redeploy.failedInvocationQueue,
      stack.redeploy.redeployDeadLetterQueue,
      stack.redeploy.settleDeadLetterQueue,
      stack.redeploy.changeBufferDeadLetterQueue,
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(queue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms on the redeploy dead-letter queue, saying how to redrive it', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const queue = logicalIdOf(stack.redeploy.redeployDeadLetterQueue);

    // Act
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }] },
      }),
    );

    // Assess
    expect(alarms).toHaveLength(1);
    expect(stack.redeploy.monitoring.redeployDeadLetterAlarm).toBeDefined();
    expect(logicalIdOf(stack.redeploy.monitoring.redeployDeadLetterAlarm)).toBe(
      Object.keys(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }] },
        }),
      )[0],
    );
    expect(alarms[0]?.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms[0]?.Properties.AlarmDescription).toMatch(/redrive.*StartMessageMoveTask/);
  });

  it('alarms when any service could not be redeployed', () => {
    // Prepare
    const { template } = synthesize(bundleDir);

    // Act & Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RotationRedeploy',
      MetricName: 'ServicesFailed',
      Dimensions: [{ Name: 'service', Value: 'rotation-redeploy' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on errors of each function', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act & Assess
    for (const fn of stack.redeploy.functions) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn.function) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('notifies the new topic when any alarm fires and when it clears', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const topic = { Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) };

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess: 4 dead-letter queues + ServicesFailed + 5 functions' errors + ServicesFlapping + 2 change
    // functions' asynchronous event age and dropped events + ServicesStale; for the rollouts
    // RolloutsFailed, RolloutsTimedOut, the settle function's errors and its dead-letter queue.
    expect(alarms).toHaveLength(20);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
      expect(alarm.Properties.AlarmDescription).toEqual(expect.any(String));
      expect(alarm.Properties.AlarmName).toBeUndefined();
    }
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('lets this account’s alarms publish to the new topic, over TLS only', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const topic = { Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) };

    // Act & Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes the alarm e-mail address to the new topic', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { alarmEmail: 'ops@example.com' });

    // Act & Assess
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) },
    });
  });

  it('notifies an existing topic instead of creating one', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir, { alarmTopicArn: EXISTING_TOPIC });

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess
    // Assess: the only topic left is the one settled reports are published to.
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([
      logicalIdOf(stack.redeploy.notifyTopic),
    ]);
    expect(alarms).toHaveLength(20);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([EXISTING_TOPIC]);
  });

  it('refuses an e-mail address together with an existing topic', () => {
    expect(() =>
      synthesize(bundleDir, { alarmEmail: 'ops@example.com', alarmTopicArn: EXISTING_TOPIC }),
    ).toThrow(InvalidPropsError);
  });
});

describe('dashboard', () => {
  it('charts the handlers’ metrics, function errors and duration, and dead-letter queue depth', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const queueName = (queue: IConstruct) =>
      `\\"QueueName\\",\\"",{"Fn::GetAtt":["${logicalIdOf(queue)}","QueueName"]}`;

    // Act
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);

    // Assess
    expect(dashboards).toHaveLength(1);
    for (const metric of [
      'ChangesHandled',
      'ServicesRedeployed',
      'ServicesSkipped',
      'ServicesFailed',
      'ServicesQueued',
      'ChangesCoalesced',
    ]) {
      expect(body).toContain(`\\"RotationRedeploy\\",\\"${metric}\\",\\"service\\",\\"rotation-redeploy\\"`);
    }
    for (const metric of ['Errors', 'Duration', 'Throttles'])
      expect(body).toContain(`\\"AWS/Lambda\\",\\"${metric}\\"`);
    expect(body).toContain('\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\"');
    // The redeploy queue: how far behind the worker is, and what waits in its dead-letter queue.
    expect(body).toContain(
      `\\"AWS/SQS\\",\\"ApproximateAgeOfOldestMessage\\",${queueName(stack.redeploy.redeployQueue)}`,
    );
    expect(body).toContain(
      `\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\",${queueName(stack.redeploy.redeployDeadLetterQueue)}`,
    );
    expect(body).toContain('filter message = \\\\\\"redeploy report\\\\\\"');
    expect(dashboards[0]?.Properties.DashboardName).toBeUndefined();
  });

  it('shows the state of every alarm', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess
    expect(alarmIds).toHaveLength(20);
    const { rolloutMonitoring } = stack.redeploy;
    const rolloutAlarms = [
      rolloutMonitoring.rolloutsFailedAlarm,
      rolloutMonitoring.rolloutsTimedOutAlarm,
      rolloutMonitoring.settleErrorsAlarm,
      rolloutMonitoring.settleDeadLetterAlarm,
    ];
    expect([...stack.redeploy.monitoring.alarms, ...rolloutAlarms].map(logicalIdOf).sort()).toEqual(
      [...alarmIds].sort(),
    );
    for (const id of alarmIds) expect(body).toContain(`{"Fn::GetAtt":["${id}","Arn"]}`);
  });
});

describe('saved Logs Insights queries', () => {
  it('lists the redeploy reports from the change functions’ and the change scanner’s log groups', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const query = Object.values(
      template.findResources('AWS::Logs::QueryDefinition', {
        Properties: { Name: 'TestStack/redeploy reports' },
      }),
    )[0];

    // Assess
    // The scanner reports every change it handles; a change function, each event it ignores.
    expect(query?.Properties.LogGroupNames).toEqual(
      [...stack.redeploy.changeFunctions, stack.redeploy.changeScanner].map((fn) => ({
        Ref: logicalIdOf(fn.logGroup),
      })),
    );
    const text: string = query?.Properties.QueryString;
    expect(text.split('\n')).toEqual([
      expect.stringMatching(
        /^fields @timestamp, report\.change\.kind, report\.change\.name, .*report\.summary\.failed/,
      ),
      '| filter message = "redeploy report"',
      '| sort @timestamp desc',
      '| limit 1000',
    ]);
  });

  it('lists the failed services with the reason and the change behind them', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const query = Object.values(
      template.findResources('AWS::Logs::QueryDefinition', {
        Properties: { Name: 'TestStack/failed services' },
      }),
    )[0];

    // Assess: the change functions' and the change scanner's failures and the worker's last attempts alike
    // (the reconcile logs its report, never this line: it queues, the worker redeploys).
    expect(query?.Properties.LogGroupNames).toEqual(
      [...stack.redeploy.changeFunctions, stack.redeploy.changeScanner, stack.redeploy.redeployWorker].map(
        (fn) => ({
          Ref: logicalIdOf(fn.logGroup),
        }),
      ),
    );
    const text: string = query?.Properties.QueryString;
    expect(text).toContain('| filter message = "service redeploy failed"');
    // Not `service.…`: Powertools Logger reserves `service` for its own service name and drops the attribute.
    expect(text).toMatch(
      /^fields @timestamp, ecsService\.serviceName, ecsService\.clusterArn, ecsService\.reason, change\.kind/,
    );
    expect(text).not.toMatch(/[^.\w]service\./);
  });

  it('lists what the worker did with each message: redeployed, deferred by the flap guard, or failed for good', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const queries = Object.values(
      template.findResources('AWS::Logs::QueryDefinition', {
        Properties: { Name: 'TestStack/worker outcomes' },
      }),
    );

    // Assess
    expect(queries).toHaveLength(1);
    expect(queries[0]?.Properties.LogGroupNames).toEqual([
      { Ref: logicalIdOf(stack.redeploy.redeployWorker.logGroup) },
    ]);
    const text: string = queries[0]?.Properties.QueryString;
    expect(text.split('\n')).toEqual([
      expect.stringMatching(
        /^fields @timestamp, message, ecsService\.serviceName, changeKeys, deploymentId, ecsService\.reason, receiveCount/,
      ),
      '| filter message in ["service redeployed", "redeploy deferred by the flap guard", "service redeploy failed"]',
      '| sort @timestamp desc',
      '| limit 1000',
    ]);
  });
});

describe('rollouts', () => {
  it.each([
    ['RolloutsFailed', /failed .*circuit breaker.*could not be redeployed.*old value/],
    ['RolloutsTimedOut', /did not end by the deadline \(rolloutTimeoutMinutes\)/],
  ])('alarms on the first of %s, notifying the alarm topic', (metric, description) => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const topic = { Ref: logicalIdOf(stack.redeploy.monitoring.alarmTopic) };

    // Act
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }),
    );

    // Assess
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({
      Namespace: 'RotationRedeploy',
      Dimensions: [{ Name: 'service', Value: 'rotation-redeploy' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    expect(alarms[0]?.Properties.AlarmDescription).toMatch(description);
  });

  it('charts the rollouts’ ends and the p50 and p90 seconds from a change to each end', () => {
    // Prepare
    const { template } = synthesize(bundleDir);

    // Act
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);

    // Assess
    for (const metric of ['RolloutsCompleted', 'RolloutsFailed', 'RolloutsTimedOut']) {
      expect(body).toContain(`\\"RotationRedeploy\\",\\"${metric}\\",\\"service\\",\\"rotation-redeploy\\"`);
    }
    for (const statistic of ['p50', 'p90']) {
      expect(body).toMatch(
        new RegExp(
          `SecondsToSettle\\\\",\\\\"service\\\\",\\\\"rotation-redeploy\\\\",\\{[^}]*\\\\"stat\\\\":\\\\"${statistic}\\\\"`,
        ),
      );
    }
  });

  it('shows the latest settled reports and every failed or timed-out rollout from the settle function', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);
    const logGroup = logicalIdOf(stack.redeploy.settleFunction.logGroup);

    // Act
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);

    // Assess
    expect(body).toContain('Latest settled reports');
    expect(body).toContain('filter message = \\\\\\"redeploy settled\\\\\\"');
    expect(body).toContain('Failed and timed-out rollouts');
    expect(body).toContain('filter message = \\\\\\"rollout failed or timed out\\\\\\"');
    expect(body).toContain(`{"Ref":"${logGroup}"}`);
  });

  it('saves a query listing the settled reports of the settle function', () => {
    // Prepare
    const { stack, template } = synthesize(bundleDir);

    // Act
    const queries = Object.values(
      template.findResources('AWS::Logs::QueryDefinition', {
        Properties: { Name: 'TestStack/settled reports' },
      }),
    );

    // Assess
    expect(queries).toHaveLength(1);
    expect(queries[0]?.Properties.LogGroupNames).toEqual([
      { Ref: logicalIdOf(stack.redeploy.settleFunction.logGroup) },
    ]);
    const text: string = queries[0]?.Properties.QueryString;
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^fields @timestamp, report\.change\.name, report\.summary\.services, /),
      '| filter message = "redeploy settled"',
      '| sort @timestamp desc',
      '| limit 1000',
    ]);
  });
});

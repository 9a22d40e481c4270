/** What operators see in CloudWatch: alarms to an SNS topic, one dashboard, saved Logs Insights queries. */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  LOG_MESSAGES,
  type LogMessage,
  METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_LOG_KEY,
  SERVICE_NAME,
} from '../../functions/contract.ts';
import { InvalidPropsError } from '../errors.ts';
import type { BundledFunction } from './bundled-function.ts';

/** A Logs Insights filter on the `message` of the functions' log lines. */
function messageIs(...messages: readonly [LogMessage, ...LogMessage[]]): string {
  const quoted = messages.map((message) => JSON.stringify(message));
  return quoted.length === 1 ? `message = ${quoted[0]}` : `message in [${quoted.join(', ')}]`;
}

export const REPORTS_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    'report.change.kind',
    'report.change.name',
    'report.change.label',
    'report.change.trigger',
    'report.ignored',
    'report.dryRun',
    'report.summary.matched',
    'report.summary.redeployed',
    'report.summary.wouldRedeploy',
    'report.summary.skipped',
    'report.summary.failed',
    'report.durationMs',
  ],
  filterStatements: [messageIs(LOG_MESSAGES.redeployReport)],
  sort: '@timestamp desc',
  limit: 1000,
});

export const FAILED_SERVICES_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    `${SERVICE_LOG_KEY}.serviceName`,
    `${SERVICE_LOG_KEY}.clusterArn`,
    `${SERVICE_LOG_KEY}.reason`,
    'change.kind',
    'change.name',
    'change.trigger',
    `${SERVICE_LOG_KEY}.serviceArn`,
  ],
  filterStatements: [messageIs(LOG_MESSAGES.serviceRedeployFailed)],
  sort: '@timestamp desc',
  limit: 1000,
});

/**
 * What the worker did with each redeploy message it finished: redeployed, deferred by the flap guard, or
 * failed for good (dead-letter queue).
 */
export const WORKER_OUTCOMES_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    'message',
    `${SERVICE_LOG_KEY}.serviceName`,
    'changeKeys',
    'deploymentId',
    // The worker logs a final failure's reason with the service, as the change functions do.
    `${SERVICE_LOG_KEY}.reason`,
    'receiveCount',
    `${SERVICE_LOG_KEY}.clusterArn`,
  ],
  filterStatements: [
    messageIs(
      LOG_MESSAGES.serviceRedeployed,
      LOG_MESSAGES.redeployDeferred,
      LOG_MESSAGES.serviceRedeployFailed,
    ),
  ],
  sort: '@timestamp desc',
  limit: 1000,
});

/**
 * How long an event may wait in a change function's asynchronous queue before it alarms: a run takes seconds to
 * minutes, so a quarter of an hour means the functions fall behind, long before Lambda's 6 hours run out.
 */
export const ASYNC_EVENT_AGE_ALARM = Duration.minutes(15);
/** What each scheduled reconcile found: its summary, newest first. */
export const RECONCILE_REPORTS_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    'report.dryRun',
    'report.summary.stale',
    'report.summary.queued',
    'report.summary.wouldRedeploy',
    'report.summary.skipped',
    'report.summary.failed',
    'report.scanned.services',
    'report.scanned.items',
    'report.durationMs',
  ],
  filterStatements: [messageIs(LOG_MESSAGES.reconcileReport)],
  sort: '@timestamp desc',
  limit: 1000,
});

/**
 * The stale-services alarm's period when runs are not evenly spaced (a cron schedule): a day, so it fires when
 * every run of two days in a row found stale services.
 */
export const STALE_PERIOD_FOR_CRON = Duration.days(1);

export interface ReconcileMonitoringProps {
  readonly function: BundledFunction;
  /** Between two runs; null for a cron schedule. */
  readonly interval: Duration | null;
}

export interface RedeployMonitoringProps {
  /** The functions EventBridge invokes asynchronously. */
  readonly functions: readonly BundledFunction[];
  /** The function the redeploy queue invokes. */
  readonly worker: BundledFunction;
  /**
   * The function the change buffer invokes: it logs the redeploy reports, so the report queries read its logs.
   * @default - none: the change functions report themselves
   */
  readonly scanner?: BundledFunction;
  /** Charted: the age of its oldest message says how far behind the worker is. */
  readonly redeployQueue: sqs.IQueue;
  /** Alarmed on its first message: a service that failed every attempt. */
  readonly redeployDeadLetterQueue: sqs.IQueue;
  /** Each gets an alarm on its first message and a line on the dashboard. */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /**
   * The scheduled reconcile: its errors alarmed and charted, its ServicesStale alarmed across two runs.
   * @default - no reconcile
   */
  readonly reconcile?: ReconcileMonitoringProps;
  /**
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
}

export class RedeployMonitoring extends Construct {
  /** Notified when any alarm fires or clears. */
  public readonly alarmTopic: sns.ITopic;
  public readonly servicesFailedAlarm: cloudwatch.Alarm;
  public readonly functionErrorAlarms: readonly cloudwatch.Alarm[];
  public readonly deadLetterAlarms: readonly cloudwatch.Alarm[];
  public readonly redeployDeadLetterAlarm: cloudwatch.Alarm;
  /** The flap guard held a service back: some source keeps changing. */
  public readonly servicesFlappingAlarm: cloudwatch.Alarm;
  /** Per change function: an event waited long in Lambda's asynchronous queue, or was given up on. */
  public readonly asyncBacklogAlarms: readonly cloudwatch.Alarm[];
  /** Services found stale by two reconcile runs in a row; absent without a reconcile. */
  public readonly servicesStaleAlarm?: cloudwatch.Alarm;
  /** Every alarm above. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly reportsQuery: logs.QueryDefinition;
  public readonly failedServicesQuery: logs.QueryDefinition;
  public readonly workerOutcomesQuery: logs.QueryDefinition;
  /** Absent without a reconcile. */
  public readonly reconcileReportsQuery?: logs.QueryDefinition;
  readonly #notify: actions.SnsAction;

  /** One of the functions' metrics (Embedded Metric Format, one `service` dimension), summed over `period`. */
  public static metric(name: MetricName, period = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }

  constructor(scope: Construct, id: string, props: RedeployMonitoringProps) {
    super(scope, id);
    if (props.alarmEmail !== undefined && props.alarmTopic !== undefined) {
      throw new InvalidPropsError('Give either alarmEmail or alarmTopic, not both');
    }
    this.alarmTopic = props.alarmTopic ?? this.createTopic(props.alarmEmail);
    this.#notify = new actions.SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 1) =>
      this.alarmOn(alarmId, metric, description, threshold);

    this.servicesFailedAlarm = alarm(
      METRICS.ServicesFailed,
      RedeployMonitoring.metric(METRICS.ServicesFailed),
      'An ECS service that uses a changed secret or parameter could not be redeployed: its tasks still run with the old value. The "failed services" saved query lists which and why.',
    );
    const errors = (fn: BundledFunction) =>
      fn.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    const reconciler = props.reconcile?.function;
    this.functionErrorAlarms = [
      ...[...props.functions, ...(reconciler === undefined ? [] : [reconciler])].map((fn) =>
        alarm(
          `${fn.node.id}Errors`,
          errors(fn),
          `The ${fn.node.id} function failed on an event. Lambda retries it twice, then the event goes to the failed-invocation queue.`,
        ),
      ),
      ...(props.scanner === undefined
        ? []
        : [
            alarm(
              `${props.scanner.node.id}Errors`,
              errors(props.scanner),
              `The ${props.scanner.node.id} function failed on a whole batch of changes (a crash, a timeout or a setting it refused). The changes return to the change buffer and, after their last attempt, wait in its dead-letter queue.`,
            ),
          ]),
      alarm(
        `${props.worker.node.id}Errors`,
        errors(props.worker),
        `The ${props.worker.node.id} function failed on a whole batch (a crash, a timeout or a setting it refused), not on single messages. The batch's messages return to the redeploy queue and, after their last attempt, wait in the redeploy dead-letter queue.`,
      ),
    ];
    this.deadLetterAlarms = props.deadLetterQueues.map((queue) =>
      alarm(
        `${queue.node.id}Messages`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `A change event was not handled and waits in ${queue.node.id}: replay it once the cause is fixed, or the services using that secret keep the old value.`,
      ),
    );
    this.redeployDeadLetterAlarm = alarm(
      `${props.redeployDeadLetterQueue.node.id}Messages`,
      props.redeployDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      'An ECS service could not be redeployed in any attempt and its message waits in the redeploy dead-letter queue: its tasks still run with the old value. The "worker outcomes" saved query says why. Fix the cause, then redrive the messages to the redeploy queue (SQS console: Start DLQ redrive, or StartMessageMoveTask); each service is redeployed once for the changes it still misses.',
    );
    this.servicesFlappingAlarm = alarm(
      METRICS.ServicesFlapping,
      RedeployMonitoring.metric(METRICS.ServicesFlapping),
      `The flap guard held an ECS service back: it had its most forced deployments of the hour, and a secret or parameter it reads keeps changing. Nothing is lost: the changes wait, and the service is deployed once for all of them when the hour allows. The "worker outcomes" saved query lists the "${LOG_MESSAGES.redeployDeferred}" lines with the change; find what keeps writing it.`,
    );
    this.asyncBacklogAlarms = props.functions.flatMap((fn) => [
      alarm(
        `${fn.node.id}AsyncEventAge`,
        fn.function.metric('AsyncEventAge', {
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `An event waited ${ASYNC_EVENT_AGE_ALARM.toHumanString()} or more in Lambda's queue before the ${fn.node.id} function ran it: the change functions fall behind (more events than their reserved concurrency takes, or retries). Lambda keeps an event at most 6 hours, then sends it to the failed-invocation queue.`,
        ASYNC_EVENT_AGE_ALARM.toMilliseconds(),
      ),
      alarm(
        `${fn.node.id}AsyncEventsDropped`,
        fn.function.metric('AsyncEventsDropped', {
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        `Lambda gave up on an event for the ${fn.node.id} function (too old, or out of retries). It is in the failed-invocation queue: replay it once the cause is fixed, or the services using that item keep the old value.`,
      ),
    ]);
    if (props.reconcile !== undefined) {
      this.servicesStaleAlarm = this.createStaleAlarm(props.reconcile, this.#notify);
    }
    this.alarms = [
      this.servicesFailedAlarm,
      ...this.functionErrorAlarms,
      ...this.deadLetterAlarms,
      this.redeployDeadLetterAlarm,
      this.servicesFlappingAlarm,
      ...this.asyncBacklogAlarms,
      ...(this.servicesStaleAlarm === undefined ? [] : [this.servicesStaleAlarm]),
    ];

    const changeLogGroups = [...props.functions, ...(props.scanner === undefined ? [] : [props.scanner])].map(
      (fn) => fn.logGroup,
    );
    const logGroups = [...changeLogGroups, props.worker.logGroup];
    const queryFolder = Stack.of(this).stackName;
    this.reportsQuery = new logs.QueryDefinition(this, 'ReportsQuery', {
      queryDefinitionName: `${queryFolder}/redeploy reports`,
      queryString: REPORTS_QUERY,
      logGroups: changeLogGroups,
    });
    this.failedServicesQuery = new logs.QueryDefinition(this, 'FailedServicesQuery', {
      queryDefinitionName: `${queryFolder}/failed services`,
      queryString: FAILED_SERVICES_QUERY,
      logGroups,
    });
    this.workerOutcomesQuery = new logs.QueryDefinition(this, 'WorkerOutcomesQuery', {
      queryDefinitionName: `${queryFolder}/worker outcomes`,
      queryString: WORKER_OUTCOMES_QUERY,
      logGroups: [props.worker.logGroup],
    });

    if (reconciler !== undefined) {
      this.reconcileReportsQuery = new logs.QueryDefinition(this, 'ReconcileReportsQuery', {
        queryDefinitionName: `${queryFolder}/reconcile reports`,
        queryString: RECONCILE_REPORTS_QUERY,
        logGroups: [reconciler.logGroup],
      });
    }

    this.dashboard = this.createDashboard(props, changeLogGroups, logGroups);
  }

  /**
   * ServicesStale comes once per run, 0 included. Its minimum over a period of one run's spacing is at least 1
   * only when every run of the period found stale services; two such periods in a row fire the alarm. Missing
   * data stays missing: no run reported means the staleness is not known (the reconcile's errors alarm and the
   * failed-invocation queue say why), not that nothing is stale, nor that something is.
   */
  private createStaleAlarm(reconcile: ReconcileMonitoringProps, notify: actions.SnsAction): cloudwatch.Alarm {
    const period = reconcile.interval ?? STALE_PERIOD_FOR_CRON;
    const stale = RedeployMonitoring.metric(METRICS.ServicesStale, period).with({
      statistic: cloudwatch.Stats.MINIMUM,
    });
    const created = stale.createAlarm(this, METRICS.ServicesStale, {
      alarmDescription: `Two reconcile runs in a row found ECS services deployed before a value they read became current: their tasks still run the old value. The "reconcile reports" saved query lists them (report.services[].stale says which value and since when). In fix mode they were queued: look for them in the "worker outcomes" query and the redeploy dead-letter queue. In report mode, redeploy them (\`rotation-redeploy audit --fix\`) or let a change reach them.`,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    created.addAlarmAction(notify);
    created.addOkAction(notify);
    return created;
  }

  /**
   * An alarm in this construct on `metric` reaching `threshold`, notifying the alarm topic when it fires and
   * when it clears; no data means nothing happened (no change, no failure).
   */
  public alarmOn(
    alarmId: string,
    metric: cloudwatch.IMetric,
    description: string,
    threshold = 1,
  ): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      metric,
      alarmDescription: description,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(this.#notify);
    created.addOkAction(this.#notify);
    return created;
  }

  private createTopic(alarmEmail: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Rotation redeploy alarms',
      enforceSSL: true,
    });
    // enforceSSL replaces the topic's default access policy, and with it the grant alarms publish through.
    const stack = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPublishFromAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    if (alarmEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'The topic carries CloudWatch alarm notifications only (alarm names and states, never a secret or parameter value). CloudWatch cannot publish to a topic encrypted with the AWS managed key, and a customer managed key would add cost and a key policy for no protected data. Pass alarmTopic to use an encrypted topic of your own.',
    });
    return topic;
  }

  private createDashboard(
    props: RedeployMonitoringProps,
    changeLogGroups: readonly logs.ILogGroup[],
    logGroups: readonly logs.ILogGroup[],
  ): cloudwatch.Dashboard {
    const reconciler = props.reconcile?.function;
    const allFunctions = [
      ...props.functions,
      ...(props.scanner === undefined ? [] : [props.scanner]),
      props.worker,
      ...(reconciler === undefined ? [] : [reconciler]),
    ];
    const fnMetrics = (of: (fn: BundledFunction) => cloudwatch.IMetric) => allFunctions.map(of);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Changes handled and events ignored',
        left: [
          RedeployMonitoring.metric(METRICS.ChangesHandled),
          RedeployMonitoring.metric(METRICS.EventsIgnored),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'ECS services matched, redeployed, skipped, failed',
        left: [
          RedeployMonitoring.metric(METRICS.ServicesMatched),
          RedeployMonitoring.metric(METRICS.ServicesRedeployed),
          RedeployMonitoring.metric(METRICS.ServicesSkipped),
          RedeployMonitoring.metric(METRICS.ServicesFailed),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title:
          'Services queued for redeploy, changes coalesced into one deployment, services held back by the flap guard',
        left: [
          RedeployMonitoring.metric(METRICS.ServicesQueued),
          RedeployMonitoring.metric(METRICS.ChangesCoalesced),
          RedeployMonitoring.metric(METRICS.ServicesFlapping),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Redeploy queue: age of the oldest message (s)',
        left: [
          props.redeployQueue.metricApproximateAgeOfOldestMessage({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: props.redeployQueue.node.id,
          }),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Redeploy queue and its dead-letter queue: messages',
        left: [
          props.redeployQueue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: props.redeployQueue.node.id,
          }),
          props.redeployDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: props.redeployDeadLetterQueue.node.id,
          }),
        ],
        width: 6,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors and throttles',
        left: [
          ...fnMetrics((fn) => fn.function.metricErrors({ label: `${fn.node.id} errors` })),
          ...fnMetrics((fn) => fn.function.metricThrottles({ label: `${fn.node.id} throttles` })),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (max)',
        left: fnMetrics((fn) =>
          fn.function.metricDuration({ statistic: cloudwatch.Stats.MAXIMUM, label: `${fn.node.id} max` }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: props.deadLetterQueues.map((queue) =>
          queue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            label: queue.node.id,
          }),
        ),
        width: 8,
      }),
    );
    if (reconciler !== undefined) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Reconcile: stale services found by each run',
          left: [
            RedeployMonitoring.metric(METRICS.ServicesStale).with({
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'ServicesStale',
            }),
          ],
          width: 12,
        }),
        new cloudwatch.LogQueryWidget({
          title: 'Reconcile reports',
          logGroupNames: [reconciler.logGroup.logGroupName],
          queryString: RECONCILE_REPORTS_QUERY.toString(),
          width: 12,
          height: 6,
        }),
      );
    }
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 3 }),
    );
    const logGroupNames = logGroups.map((group) => group.logGroupName);
    dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Redeploy reports',
        logGroupNames: changeLogGroups.map((group) => group.logGroupName),
        queryString: REPORTS_QUERY.toString(),
        width: 24,
        height: 8,
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Failed services',
        logGroupNames,
        queryString: FAILED_SERVICES_QUERY.toString(),
        width: 24,
        height: 6,
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Worker outcomes',
        logGroupNames: [props.worker.logGroup.logGroupName],
        queryString: WORKER_OUTCOMES_QUERY.toString(),
        width: 24,
        height: 6,
      }),
    );
    return dashboard;
  }
}

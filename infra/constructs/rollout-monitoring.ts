/**
 * What operators see of the rollouts, added to the stack's monitoring: alarms on failed and timed-out
 * rollouts (and on the settle function's own failures), the rollout metrics and the latest settled reports
 * on the dashboard, and a saved query of the settled reports.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { LOG_MESSAGES, METRICS, SERVICE_LOG_KEY } from '../../functions/contract.ts';
import type { BundledFunction } from './bundled-function.ts';
import { RedeployMonitoring } from './redeploy-monitoring.ts';

/** One line per change, once settled: what each service's rollout came to, and the counts. */
export const SETTLED_REPORTS_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    'report.change.name',
    'report.summary.services',
    'report.summary.onNewValue',
    'report.summary.completed',
    'report.summary.superseded',
    'report.summary.rolloutFailed',
    'report.summary.timedOut',
    'report.seconds',
    'report.changeKey',
  ],
  filterStatements: [`message = ${JSON.stringify(LOG_MESSAGES.redeploySettled)}`],
  sort: '@timestamp desc',
  limit: 1000,
});

/** One line per service whose rollout failed or timed out, beside its change's settled report. */
export const FAILED_ROLLOUTS_QUERY = new logs.QueryString({
  fields: [
    '@timestamp',
    `${SERVICE_LOG_KEY}.serviceName`,
    'rollout.state',
    'rollout.reason',
    'change.name',
    `${SERVICE_LOG_KEY}.clusterArn`,
    'rollout.deploymentId',
  ],
  filterStatements: [`message = ${JSON.stringify(LOG_MESSAGES.rolloutNotCompleted)}`],
  sort: '@timestamp desc',
  limit: 1000,
});

export interface RolloutMonitoringProps {
  readonly settleFunction: BundledFunction;
  /** Checks that failed every receive. */
  readonly settleDeadLetterQueue: sqs.IQueue;
}

export interface RolloutMonitoring {
  readonly rolloutsFailedAlarm: cloudwatch.Alarm;
  readonly rolloutsTimedOutAlarm: cloudwatch.Alarm;
  readonly settleErrorsAlarm: cloudwatch.Alarm;
  readonly settleDeadLetterAlarm: cloudwatch.Alarm;
  readonly settledReportsQuery: logs.QueryDefinition;
}

/** Adds the rollouts' alarms, widgets and saved query to `monitoring`, in its scope. */
export function addRolloutMonitoring(
  monitoring: RedeployMonitoring,
  props: RolloutMonitoringProps,
): RolloutMonitoring {
  const { settleFunction } = props;
  const rolloutsFailedAlarm = monitoring.alarmOn(
    METRICS.RolloutsFailed,
    RedeployMonitoring.metric(METRICS.RolloutsFailed),
    'A forced deployment failed (the circuit breaker stopped it, or it rolled back), or a queued service could not be redeployed: the service still runs tasks with the old value. The "failed rollouts" table and the settled reports say which and why.',
  );
  const rolloutsTimedOutAlarm = monitoring.alarmOn(
    METRICS.RolloutsTimedOut,
    RedeployMonitoring.metric(METRICS.RolloutsTimedOut),
    'A forced deployment did not end by the deadline (rolloutTimeoutMinutes): some tasks may still run with the old value. The settled reports say what was last seen.',
  );
  const settleErrorsAlarm = monitoring.alarmOn(
    `${settleFunction.node.id}Errors`,
    settleFunction.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    `The ${settleFunction.node.id} function failed on an event or a batch of checks. Lambda retries an event twice, then it goes to the failed-invocation queue; a check returns to the settle queue.`,
  );
  const settleDeadLetterAlarm = monitoring.alarmOn(
    `${props.settleDeadLetterQueue.node.id}Messages`,
    props.settleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    'A look at a rollout or a change failed every attempt and waits in the settle dead-letter queue: that change may never get its settled report. Redrive the messages to the settle queue once the cause is fixed.',
  );
  const settledReportsQuery = new logs.QueryDefinition(monitoring, 'SettledReportsQuery', {
    queryDefinitionName: `${Stack.of(monitoring).stackName}/settled reports`,
    queryString: SETTLED_REPORTS_QUERY,
    logGroups: [settleFunction.logGroup],
  });
  const alarms = [rolloutsFailedAlarm, rolloutsTimedOutAlarm, settleErrorsAlarm, settleDeadLetterAlarm];
  addRolloutWidgets(monitoring.dashboard, settleFunction, alarms);
  return {
    rolloutsFailedAlarm,
    rolloutsTimedOutAlarm,
    settleErrorsAlarm,
    settleDeadLetterAlarm,
    settledReportsQuery,
  };
}

function addRolloutWidgets(
  dashboard: cloudwatch.Dashboard,
  settleFunction: BundledFunction,
  alarms: readonly cloudwatch.Alarm[],
): void {
  const secondsToSettle = (statistic: string) =>
    RedeployMonitoring.metric(METRICS.SecondsToSettle).with({ statistic, label: statistic });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Rollouts completed, failed, timed out',
      left: [
        RedeployMonitoring.metric(METRICS.RolloutsCompleted),
        RedeployMonitoring.metric(METRICS.RolloutsFailed),
        RedeployMonitoring.metric(METRICS.RolloutsTimedOut),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Seconds from a change to each rollout’s end (p50, p90)',
      left: [secondsToSettle('p50'), secondsToSettle('p90')],
      width: 8,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Rollout alarms', alarms: [...alarms], width: 8, height: 6 }),
  );
  const logGroupNames = [settleFunction.logGroup.logGroupName];
  dashboard.addWidgets(
    new cloudwatch.LogQueryWidget({
      title: 'Latest settled reports',
      logGroupNames,
      queryString: SETTLED_REPORTS_QUERY.toString(),
      width: 24,
      height: 6,
    }),
    new cloudwatch.LogQueryWidget({
      title: 'Failed and timed-out rollouts',
      logGroupNames,
      queryString: FAILED_ROLLOUTS_QUERY.toString(),
      width: 24,
      height: 6,
    }),
  );
}

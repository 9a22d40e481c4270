/** A Lambda function of this app, with the house defaults, so each function states only what differs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type BundleName, type EnvName, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/contract.ts';
import { LIMITS } from '../../functions/wiring/limits.ts';
import { InvalidPropsError, MissingBundleError } from '../errors.ts';

/** Where `npm run build` writes the bundles: `<repo>/dist`. */
export const DEFAULT_BUNDLE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
);

export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  /** build.mjs writes `<bundleDir>/<name>/index.mjs`, exporting `handler`. */
  bundleFile: 'index.mjs',
  handler: 'index.handler',
  memorySize: 512,
  /** The Lambda maximum: one run may page through thousands of services under ECS API throttling. */
  timeout: Duration.minutes(15),
  /**
   * Every run scans the whole account; two at once is enough to keep up with bursts of rotations without
   * multiplying pressure on the ECS API quotas that CI/CD shares. Events above it wait in Lambda's
   * asynchronous queue (retried for up to `maxEventAge`), they are not lost.
   */
  reservedConcurrency: LIMITS.reservedConcurrency.default,
  logRetention: logs.RetentionDays.ONE_MONTH,
  /** Lambda's own retries of a failed asynchronous invocation, before the on-failure destination. */
  asyncRetryAttempts: 2,
  asyncMaxEventAge: Duration.hours(6),
} as const;

/**
 * The variables every function gets that Node.js and Powertools read, not our code: their names are the
 * libraries' own, so they are not in the contract's ENV (which the `environment` prop is limited to).
 */
export const RUNTIME_ENVIRONMENT = {
  // The bundles carry source maps: stack traces then point into the TypeScript sources.
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

export interface BundledFunctionProps {
  /** Directory holding one sub-directory per bundle, as written by `npm run build`. */
  readonly bundleDir: string;
  /** The bundle's directory name under `bundleDir`: one of the contract's BUNDLES, which build.mjs builds. */
  readonly bundleName: BundleName;
  readonly description: string;
  /**
   * The settings the function reads, by the contract's ENV names, on top of `RUNTIME_ENVIRONMENT`.
   * @default - none
   */
  readonly environment?: Readonly<Partial<Record<EnvName, string>>>;
  /**
   * Where Lambda sends an asynchronous invocation that failed all its attempts or grew too old.
   * @default - none: such an event is dropped
   */
  readonly onFailure?: lambda.IDestination;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Runs of the function at once; `null` reserves none (the function draws on the account's pool).
   * @default - `LIMITS.reservedConcurrency.default`
   */
  readonly reservedConcurrency?: number | null;
  /**
   * Whether the function is invoked asynchronously (EventBridge), so Lambda's retry attempts and maximum event
   * age apply. `false` for a function only an event source mapping invokes: those settings would mean nothing.
   * @default true
   */
  readonly invokedAsynchronously?: boolean;
  /**
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Active X-Ray tracing.
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * A Lambda function deployed from a prebuilt esbuild bundle (never re-bundled by CDK), with its own role
 * and its own log group. The role starts with nothing but writing to that log group: no AWS managed policy.
 */
export class BundledFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    if (props.invokedAsynchronously === false && props.onFailure !== undefined) {
      throw new InvalidPropsError(
        `${id}: onFailure applies to asynchronous invocations only, and this function is not invoked asynchronously`,
      );
    }
    const bundlePath = path.join(props.bundleDir, props.bundleName);
    const bundleFile = path.join(bundlePath, FUNCTION_DEFAULTS.bundleFile);
    if (!existsSync(bundleFile)) {
      throw new MissingBundleError(
        `Lambda bundle ${bundleFile} is missing: run \`npm run build\` first (it writes every bundle under dist/).`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? FUNCTION_DEFAULTS.logRetention,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.bundleName} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      code: lambda.Code.fromAsset(bundlePath),
      handler: FUNCTION_DEFAULTS.handler,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      reservedConcurrentExecutions:
        props.reservedConcurrency === null
          ? undefined
          : (props.reservedConcurrency ?? FUNCTION_DEFAULTS.reservedConcurrency),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : undefined,
      environment: { ...RUNTIME_ENVIRONMENT, ...props.environment },
      ...(props.invokedAsynchronously === false
        ? {}
        : {
            onFailure: props.onFailure,
            retryAttempts: FUNCTION_DEFAULTS.asyncRetryAttempts,
            maxEventAge: FUNCTION_DEFAULTS.asyncMaxEventAge,
          }),
    });

    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (resource "*" is the only form X-Ray accepts).',
      });
    }
  }
}

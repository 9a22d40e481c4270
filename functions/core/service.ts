/** An ECS service as the tool sees it. */

/** The part of a service a redeploy needs: enough to call UpdateService and to key its bookkeeping. */
export interface ServiceRef {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
}

/** What the tool knows about an ECS service; the inventory adapters fill it from DescribeServices. */
export interface Service extends ServiceRef {
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  /** `ECS` (also when ECS reports none), `CODE_DEPLOY` or `EXTERNAL`. */
  readonly deploymentController: string;
  readonly tags: Readonly<Record<string, string>>;
}

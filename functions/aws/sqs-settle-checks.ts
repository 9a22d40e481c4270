/** The settle queue on SQS: one delayed message per look at a deployment the tool started, or at a change. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SettleChecks } from '../core/ports.ts';
import type { SettleMessage } from '../core/settle-message.ts';

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export class SqsSettleChecks implements SettleChecks {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(deploymentId: string, delaySeconds: number): Promise<void> {
    await this.#send({ deploymentId }, delaySeconds);
  }

  async settleChange(changeKey: string): Promise<void> {
    await this.#send({ changeKey }, 0);
  }

  async watchChange(changeKey: string, delaySeconds: number): Promise<void> {
    await this.#send({ changeKey, watch: true }, delaySeconds);
  }

  async #send(message: SettleMessage, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds))),
      }),
    );
  }
}

/** Settled reports published to an SNS topic (the subject a person reads first, the body the JSON). */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../core/ports.ts';

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, body: string): Promise<void> {
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: subject, Message: body }));
  }
}

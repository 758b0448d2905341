import { startSmtpCapture } from '../../../test/support/smtp-capture';
import { DeliveryError } from './delivery.types';
import { SmtpMailer } from './smtp-mailer';

describe(SmtpMailer.name, () => {
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  let port: number;
  let messages: { to: string[]; data: string }[];

  beforeAll(async () => {
    smtp = await startSmtpCapture((address) => address.endsWith('@refused.test'));
    ({ port, mails: messages } = smtp);
  });

  afterAll(() => smtp.close());

  it('sends the message to every recipient with its Message-ID', async () => {
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}`, 'dataproc@localhost', 5_000);
    await mailer.send(
      { to: ['a@example.test', 'b@example.test'], subject: 'Task done', text: 'All good.', messageId: '<d1@dataproc>' },
      new AbortController().signal,
    );
    mailer.close();
    expect(messages).toHaveLength(1);
    expect(messages[0].to).toEqual(['a@example.test', 'b@example.test']);
    expect(messages[0].data).toContain('Subject: Task done');
    expect(messages[0].data).toContain('Message-ID: <d1@dataproc>');
    expect(messages[0].data).toContain('All good.');
  });

  it('makes a refused recipient final and an unreachable server retryable', async () => {
    const refused = new SmtpMailer(`smtp://127.0.0.1:${port}`, 'dataproc@localhost', 5_000);
    const error = await refused
      .send(
        { to: ['x@refused.test'], subject: 's', text: 't', messageId: '<d2@dataproc>' },
        new AbortController().signal,
      )
      .catch((caught: unknown) => caught);
    refused.close();
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ retryable: false });

    const down = new SmtpMailer('smtp://127.0.0.1:1', 'dataproc@localhost', 2_000);
    const unreachable = await down
      .send(
        { to: ['a@example.test'], subject: 's', text: 't', messageId: '<d3@dataproc>' },
        new AbortController().signal,
      )
      .catch((caught: unknown) => caught);
    down.close();
    expect(unreachable).toMatchObject({ retryable: true });
  });
});

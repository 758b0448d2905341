import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  to: string[];
  /** The message as sent: headers, then the (possibly quoted-printable) body. */
  data: string;
}

/**
 * An SMTP server on a free loopback port that keeps every message it accepts; recipients `refuse`
 * matches are refused with a 550. No TLS, no authentication: a test's mail sink.
 */
export async function startSmtpCapture(refuse: (address: string) => boolean = () => false) {
  const mails: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo: (address, _session, callback) =>
      refuse(address.address)
        ? callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }))
        : callback(),
    onData: (stream, session, callback) => {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

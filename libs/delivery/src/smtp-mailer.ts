import type { Transporter } from 'nodemailer';
import { createTransport } from 'nodemailer';
import { DeliveryError } from './delivery.types';

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  /** Receivers deduplicate on it: the same delivery retried keeps its Message-ID. */
  messageId: string;
}

/** Sends mail through the SMTP server of SMTP_URL (smtp://user:pass@host:port, smtps:// for TLS). */
export class SmtpMailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    const url = new URL(smtpUrl);
    const secure = url.protocol === 'smtps:';
    this.transport = createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  /** A 5xx answer (a refused recipient, say) is final; anything else (4xx, network) is worth a retry. */
  async send(message: MailMessage, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.transport.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      const final = code !== undefined && code >= 500;
      throw new DeliveryError(`SMTP: ${(error as Error).message}`, !final, undefined, { cause: error });
    }
  }

  close(): void {
    this.transport.close();
  }
}

export type {
  Delivery,
  DeliveryHandler,
  DeliveryPolicy,
  DeliveryReceipt,
  DeliveryRetry,
  DeliveryStore,
} from './delivery.types';
export { DeliveryError, DeliveryStatus } from './delivery.types';
export type { DeliveryLogger, DeliveryObserver } from './delivery-dispatcher';
export { DeliveryDispatcher } from './delivery-dispatcher';
export type { WebhookRequest } from './webhook-poster';
export { postWebhook, signature } from './webhook-poster';
export type { MailMessage } from './smtp-mailer';
export { SmtpMailer } from './smtp-mailer';

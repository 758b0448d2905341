export type { Delivery, DeliveryHandler, DeliveryPolicy, DeliveryStore } from './delivery.types';
export { DeliveryError, DeliveryStatus } from './delivery.types';
export type { DeliveryLogger } from './delivery-dispatcher';
export { DeliveryDispatcher } from './delivery-dispatcher';
export type { WebhookRequest } from './webhook-poster';
export { postWebhook } from './webhook-poster';
export type { MailMessage } from './smtp-mailer';
export { SmtpMailer } from './smtp-mailer';

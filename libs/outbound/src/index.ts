export type { AddressClass } from './address-policy';
export { AllowedHosts, classifyAddress } from './address-policy';
export type { Resolver } from './outbound-guard';
export { OutboundGuard, OutboundRefusedError } from './outbound-guard';
export type { OutboundBody, OutboundRequest, OutboundResponse } from './outbound-http.client';
export { OutboundHttpClient, OutboundHttpError, OutboundLimitError } from './outbound-http.client';

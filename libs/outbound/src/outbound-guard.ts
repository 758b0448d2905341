import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { AllowedHosts } from './address-policy';
import { classifyAddress } from './address-policy';

/** The policy refused a destination: its scheme, or an address that is not public and not allowed. */
export class OutboundRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

const SCHEMES = new Set(['http:', 'https:']);

/**
 * Decides where the service may connect on a user's behalf (live sources, webhooks): only http(s),
 * and only to public addresses unless the operator allowed the host or its network. The check runs in
 * the socket's own DNS lookup, so the address that is checked is the address that is connected to (a
 * name that re-resolves to a private address between a check and the connect gains nothing).
 */
export class OutboundGuard {
  constructor(
    private readonly allowed: AllowedHosts,
    private readonly resolver: Resolver = systemResolver,
  ) {}

  /** Parses `url` and refuses what no lookup can make acceptable: another scheme, a refused IP literal. */
  checkUrl(url: string | URL): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundRefusedError(`not a valid URL: ${String(url).slice(0, 200)}`);
    }
    if (!SCHEMES.has(parsed.protocol)) {
      throw new OutboundRefusedError(`only http and https URLs may be fetched, not ${parsed.protocol}`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new OutboundRefusedError('URLs with credentials are not fetched');
    }
    const host = bareHost(parsed.hostname);
    if (isIP(host) !== 0) this.checkAddress(host, host);
    return parsed;
  }

  /** The addresses `hostname` may be reached at; refuses the host when any of its addresses is refused. */
  async resolve(hostname: string): Promise<LookupAddress[]> {
    const host = bareHost(hostname);
    if (isIP(host) !== 0) {
      this.checkAddress(host, host);
      return [{ address: host, family: isIP(host) }];
    }
    const addresses = await this.resolver(host);
    if (addresses.length === 0) throw new OutboundRefusedError(`${host} has no address`);
    for (const { address } of addresses) this.checkAddress(host, address);
    return addresses;
  }

  /** For http.request / net.connect `lookup`: resolves through the policy. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  private checkAddress(host: string, address: string): void {
    if (this.allowed.hasName(host) || this.allowed.hasAddress(address)) return;
    const kind = classifyAddress(address);
    if (kind === 'public') return;
    const via = host === address ? '' : ` (${host} resolves to it)`;
    throw new OutboundRefusedError(
      `refused to connect to ${kind} address ${address}${via}; list the host in OUTBOUND_ALLOWED_HOSTS to allow it`,
    );
  }
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

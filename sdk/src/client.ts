// The public client: what a workspace member's code (a dashboard, a CLI, a backend) uses.
import { BillingApi } from './billing.js';
import { Transport, type TransportOptions } from './transport.js';

export interface BurnrateOptions extends TransportOptions {
  /** A workspace member's API key (shown once when created). Admin-only calls need an admin's. */
  apiKey: string;
}

export class Burnrate {
  readonly billing: BillingApi;

  constructor(options: BurnrateOptions) {
    if (!options.apiKey) throw new TypeError('burnrate: apiKey is required');
    this.billing = new BillingApi(new Transport(options, { 'x-api-key': options.apiKey }));
  }
}

/**
 * A provider's status machine (docs/actionable.md): what each transition needs and where it leads. Apart from
 * core/provider.ts, which re-exports it, because that module parses keys with `node:crypto` and the console
 * bundles this one to offer only what the API allows.
 */
export const PROVIDER_STATUSES = ['Draft', 'Submitted', 'Approved', 'Rejected', 'Suspended'] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];

export const PROVIDER_TRANSITIONS = ['submit', 'approve', 'reject', 'withdraw', 'suspend'] as const;
export type ProviderTransition = (typeof PROVIDER_TRANSITIONS)[number];

export const PROVIDER_PAST_TENSE = {
  submit: 'submitted',
  approve: 'approved',
  reject: 'rejected',
  withdraw: 'withdrawn',
  suspend: 'suspended',
} as const satisfies Record<ProviderTransition, string>;
export type ProviderTransitionRecord = (typeof PROVIDER_PAST_TENSE)[ProviderTransition];

export type ProviderTransitionCheck = { ok: true; status: ProviderStatus } | { ok: false; reason: string };

/** Where `t` takes a provider in `status`, or why it cannot. */
export function providerTransition(status: ProviderStatus, t: ProviderTransition): ProviderTransitionCheck {
  const to = (next: ProviderStatus): ProviderTransitionCheck => ({ ok: true, status: next });
  const no = (why: string): ProviderTransitionCheck => ({ ok: false, reason: why });
  switch (t) {
    case 'submit':
      return status === 'Draft' ? to('Submitted') : no(`only a Draft provider can be submitted; the provider is ${status}`);
    case 'approve':
    case 'reject':
      if (status !== 'Submitted') return no(`only a Submitted provider can be ${PROVIDER_PAST_TENSE[t]}; the provider is ${status}`);
      return to(t === 'approve' ? 'Approved' : 'Rejected');
    case 'withdraw':
      if (status !== 'Submitted' && status !== 'Rejected') {
        return no(`only a Submitted or Rejected provider can be withdrawn; the provider is ${status}`);
      }
      return to('Draft');
    case 'suspend':
      return status === 'Approved' ? to('Suspended') : no(`only an Approved provider can be suspended; the provider is ${status}`);
  }
}

/** Only a Draft's fields may change: what was approved is what runs. */
export const isProviderEditable = (s: ProviderStatus) => s === 'Draft';

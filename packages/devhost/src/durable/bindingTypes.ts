/** The Durable binding types: triggers the engine runs, and the client input it fills in. */
export const DURABLE_TRIGGERS = ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'] as const;
export const DURABLE_INPUTS = ['durableClient', 'orchestrationClient'] as const;

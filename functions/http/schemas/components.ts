/**
 * The names the OpenAPI document gives the schemas clients send and receive, registered beside each schema.
 * Requests are read as zod's input (a default makes a field optional) and responses as its output, so one
 * schema used both ways is named in each registry: TenantSettings is `TenantSettings` when sent and
 * `TenantSettingsView` when received.
 */
import { z } from 'zod';

export interface Component {
  id: string;
  description?: string;
}

export type ComponentRegistry = z.core.$ZodRegistry<Component>;

export const requestComponents: ComponentRegistry = z.registry<Component>();
export const responseComponents: ComponentRegistry = z.registry<Component>();

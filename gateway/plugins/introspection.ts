import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { Plugin } from 'graphql-yoga';

/**
 * Introspection is on by default (GraphiQL, codegen); INTROSPECTION=false turns it off for a
 * deployment that wants to hide its schema. The refusal is a validation error
 * (GRAPHQL_VALIDATION_FAILED), over HTTP and WebSocket alike.
 */
export function useIntrospection(enabled: boolean): Plugin[] {
  return enabled ? [] : [useDisableIntrospection()];
}

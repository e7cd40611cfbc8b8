import type { Plugin } from '@envelop/core';
import type { FederatedSubscriptions } from './federated-subscriptions.js';

/**
 * Envelop plugin: subscriptions run through FederatedSubscriptions (queries and mutations stay
 * with plugins/federation-executor.ts). Works for every transport Yoga serves
 * subscriptions on: graphql-ws here, and server-sent events over plain HTTP.
 */
export function useFederatedSubscriptions(subscriptions: FederatedSubscriptions): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn((args) => subscriptions.subscribe(args));
    },
  };
}

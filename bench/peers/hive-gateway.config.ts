/**
 * The Hive Gateway peer's config file (`hive-gateway supergraph <file> --config-path <this>`):
 * CLI defaults plus one plugin that signs each subgraph request the way our gateway does
 * (lib/kernel/request-signature.ts), since the subgraphs answer only signed requests. One HMAC per
 * subgraph fetch is what any deployment of Hive Gateway in front of these subgraphs would add,
 * so the comparison stays fair.
 *
 * `@graphql-hive/gateway` resolves from bench/peers/node_modules (this file's own package).
 *
 * PEER_SUBGRAPH_SIGNING_SECRET: the SUBGRAPH_SIGNING_SECRET the bench gives the subgraphs.
 * PEER_HIVE_ROUTER_RUNTIME=true: the Hive Router runtime (@graphql-hive/router-runtime, the Rust
 * query planner), set here rather than with the CLI's --hive-router-runtime, which falls back to
 * the default runtime when the package does not load: here a missing package stops the start.
 */
import { defineConfig } from '@graphql-hive/gateway';
import { SIGNATURE_HEADER, signContent } from '../../lib/kernel/request-signature.js';

const secret = process.env.PEER_SUBGRAPH_SIGNING_SECRET;
if (!secret) throw new Error('PEER_SUBGRAPH_SIGNING_SECRET must be set');

const routerRuntime = process.env.PEER_HIVE_ROUTER_RUNTIME === 'true' ? await import('@graphql-hive/router-runtime') : null;

export const gatewayConfig = defineConfig({
  ...(routerRuntime === null ? {} : { unifiedGraphHandler: routerRuntime.unifiedGraphHandler }),
  plugins: () => [
    {
      onFetch({ options, setOptions }) {
        // Subgraph requests are JSON strings; the signature covers exactly the bytes sent.
        if (typeof options.body !== 'string') return;
        setOptions({ ...options, headers: { ...options.headers, [SIGNATURE_HEADER]: signContent(secret, options.body) } });
      },
    },
  ],
});

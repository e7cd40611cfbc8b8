import { type Answer, askGateway, type GatewayRequest } from './answers.js';
import { type RunningGateway, startOurGateway, startStockGateway } from './gateways.js';

/**
 * Every answer to one operation: stock's (none when it was not started), and ours with the
 * response cache cold, warm and off (with the entity cache off too), and with the entity cache
 * alone cold and warm (the response cache off, so the warm answer comes out of cached fetches).
 */
export interface OperationAnswers {
  readonly stock: Answer | undefined;
  readonly cold: Answer;
  readonly warm: Answer;
  readonly off: Answer;
  readonly entityCold: Answer;
  readonly entityWarm: Answer;
  /** X-Cache of ours' cold and warm answers (null where the cache did not answer that operation). */
  readonly xCache: { readonly cold: string | null; readonly warm: string | null };
}

export interface ComparisonOptions {
  /** The variables ours' config is read from (gateways.ts comparisonConfig). */
  readonly env: NodeJS.ProcessEnv;
  /** Both gateways sign each subgraph request with it (this project's subgraphs require it). */
  readonly signingSecret?: string | undefined;
  /**
   * Client headers (lower-case names) stock passes on to the subgraphs. Ours passes on the
   * bearer token it verified, as in production, and nothing else.
   */
  readonly forwardHeaders?: readonly string[];
  /** Where ours' log lines go (file descriptor); stdout when absent. */
  readonly logDestination?: 1 | 2;
  /** Leave stock out: for a supergraph stock refuses to load (docs/federation.md, "Beyond stock"). */
  readonly withoutStock?: boolean;
}

/** Stock and ours, started over one supergraph, asked one operation at a time. */
export interface Comparison {
  /** Ours, for callers that ask more than the comparison does. */
  readonly ours: {
    readonly cacheOn: RunningGateway;
    readonly cacheOff: RunningGateway;
    readonly entityCacheOnly: RunningGateway;
  };
  ask(request: GatewayRequest): Promise<OperationAnswers>;
  stop(): Promise<void>;
}

/**
 * Starts stock Apollo and ours (response cache on, and off) over `supergraphSdl`. `ask` asks
 * each gateway in turn, never two at once: the subgraphs may keep state (mutations, counters),
 * and each gateway's request must reach them in one known order.
 */
export async function startComparison(supergraphSdl: string, options: ComparisonOptions): Promise<Comparison> {
  const gateways: RunningGateway[] = [];
  const stop = async () => {
    for (const gateway of gateways.splice(0)) await gateway.stop();
  };
  try {
    const stock =
      options.withoutStock === true
        ? undefined
        : await startStockGateway(supergraphSdl, {
            signingSecret: options.signingSecret,
            forwardHeaders: options.forwardHeaders ?? [],
          });
    if (stock !== undefined) gateways.push(stock);
    const ours = { env: options.env, signingSecret: options.signingSecret, logDestination: options.logDestination ?? 1 };
    const cached = await startOurGateway(supergraphSdl, { ...ours, responseCache: true });
    gateways.push(cached);
    const uncached = await startOurGateway(supergraphSdl, { ...ours, responseCache: false, entityCache: false });
    gateways.push(uncached);
    const entityOnly = await startOurGateway(supergraphSdl, { ...ours, responseCache: false, entityCache: true });
    gateways.push(entityOnly);
    return {
      ours: { cacheOn: cached, cacheOff: uncached, entityCacheOnly: entityOnly },
      async ask(request) {
        const fromStock = stock === undefined ? undefined : await askGateway(stock, request);
        const cold = await askGateway(cached, request);
        const warm = await askGateway(cached, request);
        const off = await askGateway(uncached, request);
        const entityCold = await askGateway(entityOnly, request);
        const entityWarm = await askGateway(entityOnly, request);
        return {
          entityCold: entityCold.answer,
          entityWarm: entityWarm.answer,
          stock: fromStock?.answer,
          cold: cold.answer,
          warm: warm.answer,
          off: off.answer,
          xCache: { cold: cold.xCache, warm: warm.xCache },
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

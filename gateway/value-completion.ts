import type { GatewayExecutionResult } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';

/**
 * @apollo/gateway reports a null it found in a non-null field (an entity its subgraph could not
 * resolve, say) as `extensions.valueCompletion` whenever no fetch failed, so a client may get
 * `data: null` with no error at all. Those are errors: they move to `errors`, with the code
 * every error carries (Apollo Router does the same).
 */
export function withValueCompletionErrors<R extends GatewayExecutionResult>(result: R): R {
  const { valueCompletion, ...extensions } = (result.extensions ?? {}) as { valueCompletion?: unknown };
  if (!Array.isArray(valueCompletion) || valueCompletion.length === 0) return result;
  const errors = valueCompletion.map(
    (error: { message?: unknown; path?: readonly (string | number)[] }) =>
      new GraphQLError(String(error.message ?? 'Cannot complete a value.'), {
        path: error.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
  );
  const { extensions: _dropped, ...rest } = result;
  return {
    ...rest,
    errors: [...(result.errors ?? []), ...errors],
    ...(Object.keys(extensions).length === 0 ? {} : { extensions }),
  } as unknown as R;
}

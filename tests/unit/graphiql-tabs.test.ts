import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import {
  type ArgumentNode,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type ValueNode,
  validate,
  visit,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { type DemoLogin, graphiqlOptions, graphiqlTabs, subscriptionsProtocolOf } from '../../gateway/graphiql.js';
import { CsrfPreventedError, useCsrfPrevention } from '../../gateway/plugins/csrf-prevention.js';
import { SUPERGRAPH_FILE } from '../../gateway/server.js';

const schema = Supergraph.build(readFileSync(SUPERGRAPH_FILE, 'utf8')).apiSchema().toGraphQLJSSchema();
const DEMO: DemoLogin = { email: 'sena.yilmaz42@metu.edu.tr', password: 'chitlaq-demo-password' };

function operationsOf(query: string): OperationDefinitionNode[] {
  return parse(query).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
}

/** The literal arguments of every `field(...)` selection in the document, by argument name. */
function argumentsOf(query: string, field: string): Record<string, ValueNode> {
  const found: Record<string, ValueNode> = {};
  visit(parse(query), {
    Field(node) {
      if (node.name.value !== field) return;
      for (const argument of node.arguments ?? []) collect(argument);
    },
  });
  function collect(argument: ArgumentNode) {
    if (argument.value.kind !== Kind.OBJECT) {
      found[argument.name.value] = argument.value;
      return;
    }
    for (const objectField of argument.value.fields) found[objectField.name.value] = objectField.value;
  }
  return found;
}

const literal = (value: ValueNode | undefined) => (value === undefined ? undefined : print(value));

describe("GraphiQL's tabs", () => {
  it('are the steps of a first session, each named after its first operation', () => {
    const tabs = graphiqlTabs(null).map((tab) =>
      operationsOf(tab.query ?? '').map((operation) => `${operation.operation} ${operation.name?.value}`),
    );
    expect(tabs).toEqual([
      ['mutation Register'],
      ['mutation Login'],
      ['query Me'],
      ['query Feed'],
      ['mutation SendMessage', 'mutation StartConversation'],
      ['subscription MessageAdded'],
    ]);
  });

  it.each([
    ['without', null],
    ['with', DEMO],
  ])('%s a demo login, are valid against the schema, and their variables against each operation', (_, demo) => {
    for (const tab of graphiqlTabs(demo)) {
      const document = parse(tab.query ?? '');
      expect(validate(schema, document).map((error) => error.message)).toEqual([]);
      const variables = JSON.parse(tab.variables ?? '{}') as Record<string, unknown>;
      for (const operation of operationsOf(tab.query ?? '')) {
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
        expect(coerced.errors?.map((error) => error.message)).toBeUndefined();
      }
    }
  });

  it('sign in the demo login when there is one, named in the first two tabs', () => {
    const [welcome, login] = graphiqlTabs(DEMO);
    expect(literal(argumentsOf(login?.query ?? '', 'login').email)).toBe(JSON.stringify(DEMO.email));
    expect(literal(argumentsOf(login?.query ?? '', 'login').password)).toBe(JSON.stringify(DEMO.password));
    for (const tab of [welcome, login]) {
      expect(tab?.query).toContain(`#   ${DEMO.email}\n# (password ${DEMO.password})`);
    }
  });

  it('sign in the account Register creates when there is no demo login', () => {
    const [register, login] = graphiqlTabs(null);
    const registered = argumentsOf(register?.query ?? '', 'register');
    const signedIn = argumentsOf(login?.query ?? '', 'login');
    expect(literal(signedIn.email)).toBe(literal(registered.email));
    expect(literal(signedIn.password)).toBe(literal(registered.password));
    expect(graphiqlTabs(null).some((tab) => tab.query?.includes('Demo data'))).toBe(false);
  });

  it('say how to put the token in the Headers tab', () => {
    expect(graphiqlTabs(null)[0]?.query).toContain('#   {"Authorization": "Bearer <token>"}');
  });
});

describe("GraphiQL's options", () => {
  const parseRequest = (headers: Record<string, string>) => {
    const hook = useCsrfPrevention().onRequestParse as unknown as (payload: { request: Request }) => void;
    return () => hook({ request: new Request('http://127.0.0.1/graphql?query=subscription{x}', { headers }) });
  };

  it("send headers with every request that let GraphiQL's SSE GETs (no content-type) past the CSRF rule", () => {
    const options = graphiqlOptions({ demoLogin: null, subscriptionsProtocol: 'SSE' });
    expect(parseRequest({ accept: 'text/event-stream' })).toThrow(CsrfPreventedError);
    expect(parseRequest({ accept: 'text/event-stream', ...options.additionalHeaders })).not.toThrow();
  });

  it('run subscriptions over SSE for ?subscriptionsProtocol=SSE, in any case, and over graphql-ws otherwise', () => {
    const protocol = (search: string) => subscriptionsProtocolOf(new URL(`http://127.0.0.1/graphql${search}`));
    expect([protocol('?subscriptionsProtocol=SSE'), protocol('?subscriptionsProtocol=sse')]).toEqual(['SSE', 'SSE']);
    expect([protocol(''), protocol('?subscriptionsProtocol=GRAPHQL_SSE'), protocol('?query=x')]).toEqual(['WS', 'WS', 'WS']);
    expect(graphiqlOptions({ demoLogin: null, subscriptionsProtocol: 'SSE' }).subscriptionsProtocol).toBe('SSE');
  });
});

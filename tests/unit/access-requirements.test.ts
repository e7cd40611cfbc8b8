import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type AccessRequirements, accessRequirementsOf, checkAccess } from '../../gateway/federation/access-requirements.js';
import { loadSupergraph, SupergraphLoadError } from '../../gateway/federation/supergraph.js';
import { composeSupergraph } from '../support/federation/compose.js';

/**
 * `@authenticated` and `@requiresScopes` read from a supergraph composed here, and the errors
 * an operation gets for what it may not read, before any subgraph is called.
 */

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes"])';

const LIBRARY = `${LINK}
type Query {
  notice: String
  secret: String @authenticated
  me: Account
  audit: String @requiresScopes(scopes: [["audit:read", "staff"], ["admin"]])
  nodes: [Node!]!
  search: [SearchResult!]!
  level: Level
}

type Account @key(fields: "id") @authenticated {
  id: ID!
  email: String
}

interface Node {
  id: ID!
  label: String
}

type Post implements Node {
  id: ID!
  label: String
  title: String
}

type Draft implements Node {
  id: ID!
  label: String @authenticated
}

union SearchResult = Post | Account

enum Level @requiresScopes(scopes: [["levels:read"]]) {
  LOW
  HIGH
}
`;

function supergraphOf(typeDefs: string, edit: (sdl: string) => string = (sdl) => sdl): Supergraph {
  const sdl = edit(composeSupergraph([{ name: 'library', url: 'http://library.test/graphql', typeDefs }]));
  return Supergraph.build(sdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
}

const library = supergraphOf(LIBRARY);
const libraryRequirements = accessRequirementsOf(library);
const librarySchema = library.apiSchema().toGraphQLJSSchema();

const anonymous = null;
const signedIn = (...scopes: string[]) => ({ scopes: new Set(scopes) });

/** The errors `query` gets, as a client would read them. */
function refusals(
  query: string,
  viewer: { scopes: ReadonlySet<string> } | null,
  variables: Record<string, unknown> = {},
  requirements: AccessRequirements = libraryRequirements,
  schema = librarySchema,
) {
  const errors = checkAccess(requirements, { schema, document: parse(query), operationName: undefined, variables }, viewer);
  return errors.map((error) => error.toJSON());
}

function unauthenticated(coordinate: string, path: string[], ...locations: { line: number; column: number }[]) {
  return { message: `You must be signed in to read ${coordinate}.`, path, locations, extensions: { code: 'UNAUTHENTICATED' } };
}

describe('the requirements of a supergraph', () => {
  it('are read from its @authenticated and @requiresScopes, on fields and types', () => {
    expect(Object.fromEntries(libraryRequirements.fields)).toEqual({
      'Query.secret': { authenticated: true, scopeSets: undefined },
      'Query.audit': { authenticated: false, scopeSets: [['audit:read', 'staff'], ['admin']] },
      'Draft.label': { authenticated: true, scopeSets: undefined },
      // Composition copies an implementation's requirement onto the interface field.
      'Node.label': { authenticated: true, scopeSets: undefined },
    });
    expect(Object.fromEntries(libraryRequirements.types)).toEqual({
      Account: { authenticated: true, scopeSets: undefined },
      Level: { authenticated: false, scopeSets: [['levels:read']] },
    });
  });

  it('are found under the names the supergraph links them as', () => {
    const renamed = supergraphOf(LIBRARY, (sdl) =>
      sdl
        .replace(
          '@link(url: "https://specs.apollo.dev/authenticated/v0.1"',
          '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn"',
        )
        .replaceAll('@authenticated', '@signedIn'),
    );
    expect(accessRequirementsOf(renamed)).toEqual(libraryRequirements);
  });

  it('are none for a supergraph without either directive, and nothing is refused', () => {
    const open = supergraphOf(`${LINK}\ntype Query { notice: String secret: String }`);
    const requirements = accessRequirementsOf(open);
    expect(requirements.fields.size + requirements.types.size).toBe(0);
    const errors = checkAccess(
      requirements,
      {
        schema: open.apiSchema().toGraphQLJSSchema(),
        document: parse('{ notice secret }'),
        operationName: undefined,
        variables: {},
      },
      anonymous,
    );
    expect(errors).toEqual([]);
  });

  it('refuse a supergraph with a security directive the gateway does not enforce (@policy)', () => {
    const withPolicy = composeSupergraph([
      {
        name: 'library',
        url: 'http://library.test/graphql',
        typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@policy"])
          type Query { report: String @policy(policies: [["finance"]]) }`,
      },
    ]);
    expect(() => loadSupergraph(withPolicy)).toThrow(SupergraphLoadError);
    expect(() => loadSupergraph(withPolicy)).toThrow(
      'feature https://specs.apollo.dev/policy/v0.1 is for: SECURITY but is unsupported',
    );
  });

  it('refuse a version of @authenticated the gateway does not know', () => {
    const future = supergraphOf(LIBRARY, (sdl) =>
      sdl.replace(
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/authenticated/v0.9")',
      ),
    );
    expect(() => accessRequirementsOf(future)).toThrow(
      'The supergraph links https://specs.apollo.dev/authenticated/v0.9, a version the gateway does not know how to enforce',
    );
  });
});

describe('an anonymous viewer', () => {
  it('is refused an @authenticated field, and only that one', () => {
    expect(refusals('{ notice secret }', anonymous)).toEqual([
      unauthenticated('Query.secret', ['secret'], { line: 1, column: 10 }),
    ]);
  });

  it('is refused a field returning an @authenticated type, whatever it selects below', () => {
    expect(refusals('{ me { id email } }', anonymous)).toEqual([unauthenticated('Query.me', ['me'], { line: 1, column: 3 })]);
  });

  it('is refused a field returning an @authenticated type when it selects only __typename', () => {
    expect(refusals('{ me { __typename } }', anonymous)).toEqual([unauthenticated('Query.me', ['me'], { line: 1, column: 3 })]);
  });

  it('may read __typename of a protected type reached through a union', () => {
    expect(refusals('{ search { __typename ... on Account { __typename } } }', anonymous)).toEqual([]);
  });

  it('is refused the fields of a fragment on an @authenticated type', () => {
    const query = '{ search { ... on Post { title } ... on Account { email } } }';
    expect(refusals(query, anonymous)).toEqual([unauthenticated('Account.email', ['search', 'email'], { line: 1, column: 51 })]);
  });

  it('is refused an interface field one implementation protects, through a named fragment', () => {
    const query = `{ nodes { ...NodeParts } }
fragment NodeParts on Node { id label }`;
    expect(refusals(query, anonymous)).toEqual([unauthenticated('Node.label', ['nodes', 'label'], { line: 2, column: 33 })]);
  });

  it('is refused an interface field one implementation protects, through an inline fragment', () => {
    expect(refusals('{ nodes { ... on Node { label } } }', anonymous)).toEqual([
      unauthenticated('Node.label', ['nodes', 'label'], { line: 1, column: 25 }),
    ]);
  });

  it('may read that field through a fragment on an implementation that does not protect it', () => {
    expect(refusals('{ nodes { ... on Post { label } } }', anonymous)).toEqual([]);
  });

  it("is refused an interface field by an implementation's requirement the supergraph did not copy onto the interface", () => {
    // Supergraphs from compositions before Federation 2.12 leave the interface field bare.
    const bare = supergraphOf(LIBRARY, (sdl) =>
      sdl.replace(/(interface Node[^}]*label: String) @authenticated/, (_match, head: string) => head),
    );
    const requirements = accessRequirementsOf(bare);
    expect(requirements.fields.has('Node.label')).toBe(false);
    expect(refusals('{ nodes { label } }', anonymous, {}, requirements, bare.apiSchema().toGraphQLJSSchema())).toEqual([
      unauthenticated('Node.label', ['nodes', 'label'], { line: 1, column: 11 }),
    ]);
  });

  it('is not refused a field skipped by @skip(if: $variable), and is when it is included', () => {
    const query = 'query ($hide: Boolean!) { notice secret @skip(if: $hide) }';
    expect(refusals(query, anonymous, { hide: true })).toEqual([]);
    expect(refusals(query, anonymous, { hide: false })).toEqual([
      unauthenticated('Query.secret', ['secret'], { line: 1, column: 34 }),
    ]);
  });

  it('is not refused what @include leaves out: a literal, a variable default, a fragment', () => {
    expect(refusals('{ secret @include(if: false) }', anonymous)).toEqual([]);
    expect(refusals('query ($show: Boolean = false) { secret @include(if: $show) }', anonymous)).toEqual([]);
    expect(
      refusals('query ($show: Boolean!) { ...Secret @include(if: $show) } fragment Secret on Query { secret }', anonymous, {
        show: false,
      }),
    ).toEqual([]);
    expect(refusals('query ($show: Boolean!) { ... @include(if: $show) { secret } }', anonymous, { show: false })).toEqual([]);
  });

  it('counts a field whose condition cannot be known (its variables do not coerce) as read', () => {
    const query = 'query ($hide: Boolean!) { secret @skip(if: $hide) }';
    expect(refusals(query, anonymous, {})).toEqual([unauthenticated('Query.secret', ['secret'], { line: 1, column: 27 })]);
    expect(refusals(query, anonymous, { hide: 'yes' })).toEqual([
      unauthenticated('Query.secret', ['secret'], { line: 1, column: 27 }),
    ]);
  });

  it('gets the response path of aliases', () => {
    expect(refusals('{ hidden: secret nodes { ... on Node { tag: label } } }', anonymous)).toEqual([
      unauthenticated('Query.secret', ['hidden'], { line: 1, column: 3 }),
      unauthenticated('Node.label', ['nodes', 'tag'], { line: 1, column: 40 }),
    ]);
  });

  it('gets one error for a field selected twice into the same response key, at both places', () => {
    expect(refusals('{ secret ...Again } fragment Again on Query { secret }', anonymous)).toEqual([
      unauthenticated('Query.secret', ['secret'], { line: 1, column: 3 }, { line: 1, column: 47 }),
    ]);
  });

  it('is refused only what the operation named would read', () => {
    const document = 'query Open { notice } query Closed { secret }';
    const check = (operationName: string) =>
      checkAccess(libraryRequirements, { schema: librarySchema, document: parse(document), operationName }, anonymous);
    expect(check('Open')).toEqual([]);
    expect(check('Closed').map((error) => error.toJSON())).toEqual([
      unauthenticated('Query.secret', ['secret'], { line: 1, column: 38 }),
    ]);
  });

  it('is refused a field that needs scopes, as unauthenticated', () => {
    expect(refusals('{ audit }', anonymous)).toEqual([unauthenticated('Query.audit', ['audit'], { line: 1, column: 3 })]);
  });
});

describe('requirements of types around a field', () => {
  const archive = supergraphOf(`${LINK}
type Query { media: [Media!]! }
type Mutation @authenticated { publish: String }
union Media = Video | Photo
interface Item { id: ID! }
type Book implements Item @authenticated { id: ID! }
type Video implements Item { id: ID! }
type Photo { id: ID! }
`);
  const requirements = accessRequirementsOf(archive);
  const schema = archive.apiSchema().toGraphQLJSSchema();

  it('protect every root field of a protected root type', () => {
    expect(refusals('mutation { publish }', anonymous, {}, requirements, schema)).toEqual([
      unauthenticated('Mutation.publish', ['publish'], { line: 1, column: 12 }),
    ]);
  });

  it('protect the fields of a fragment on a protected interface, even where only unprotected implementations can be', () => {
    // Composition gives Item Book's @authenticated; a fragment on Item reads an Item.
    expect(requirements.types.get('Item')).toEqual({ authenticated: true, scopeSets: undefined });
    expect(refusals('{ media { ... on Item { id } ... on Photo { id } } }', anonymous, {}, requirements, schema)).toEqual([
      unauthenticated('Item.id', ['media', 'id'], { line: 1, column: 25 }),
    ]);
  });

  it("and a field's own scopes are all needed at once, as the sets that would do", () => {
    const reports = supergraphOf(`${LINK}
type Query { report: Report @requiresScopes(scopes: [["reports:read"]]) }
type Report @requiresScopes(scopes: [["finance"], ["admin"]]) { total: Int }
`);
    const errors = checkAccess(
      accessRequirementsOf(reports),
      {
        schema: reports.apiSchema().toGraphQLJSSchema(),
        document: parse('{ report { total } }'),
        operationName: undefined,
        variables: {},
      },
      signedIn(),
    );
    expect(errors.map((error) => error.toJSON())).toEqual([
      {
        message: 'You need the scopes ("reports:read" and "finance") or ("reports:read" and "admin") to read Query.report.',
        path: ['report'],
        locations: [{ line: 1, column: 3 }],
        extensions: {
          code: 'FORBIDDEN',
          requiredScopes: [
            ['reports:read', 'finance'],
            ['reports:read', 'admin'],
          ],
        },
      },
    ]);
  });
});

describe('a signed-in viewer', () => {
  it('reads @authenticated fields and types without any scope', () => {
    expect(refusals('{ secret me { email } nodes { label } search { ... on Account { email } } }', signedIn())).toEqual([]);
  });

  it('reads a field with either of its scope sets', () => {
    expect(refusals('{ audit }', signedIn('admin'))).toEqual([]);
    expect(refusals('{ audit }', signedIn('staff', 'audit:read', 'posts:write'))).toEqual([]);
  });

  it('is forbidden a field without a whole scope set, and told the sets it needs', () => {
    expect(refusals('{ notice audit }', signedIn('audit:read'))).toEqual([
      {
        message: 'You need the scopes ("audit:read" and "staff") or "admin" to read Query.audit.',
        path: ['audit'],
        locations: [{ line: 1, column: 10 }],
        extensions: { code: 'FORBIDDEN', requiredScopes: [['audit:read', 'staff'], ['admin']] },
      },
    ]);
  });

  it('is forbidden a field returning an enum that needs a scope', () => {
    expect(refusals('{ level }', signedIn('admin'))).toEqual([
      {
        message: 'You need the scope "levels:read" to read Query.level.',
        path: ['level'],
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'FORBIDDEN', requiredScopes: [['levels:read']] },
      },
    ]);
    expect(refusals('{ level }', signedIn('levels:read'))).toEqual([]);
  });

  it('never needs anything for introspection', () => {
    expect(refusals('{ __typename __schema { queryType { name } } __type(name: "Account") { name } }', anonymous)).toEqual([]);
  });
});

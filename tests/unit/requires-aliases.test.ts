import { type DocumentNode, GraphQLError, parse, print, stripIgnoredCharacters } from 'graphql';
import { describe, expect, it } from 'vitest';
import { plannerAddedFieldsOf } from '../../gateway/federation/planner-added-fields.js';
import { type AliasedOperation, makeRequiresAliaser } from '../../gateway/federation/requires-aliases.js';
import { composeSupergraph } from '../support/federation/compose.js';
import { requiresProvidesFixture } from '../support/federation/fixtures/requires-provides.js';

// The differential fixture's supergraph: `shippingEstimate @requires(fields: "weight price(currency: \"USD\")")`,
// `crateLabel @requires(fields: "dimensions { size(unit: \"in\") }")`, `packaging @requires(fields: "dimensions { size }")`,
// Product (key `upc`) implements Priced.
const supergraphSdl = composeSupergraph(
  requiresProvidesFixture.subgraphs.map((subgraph) => ({ ...subgraph, url: `http://127.0.0.1:1/${subgraph.name}` })),
);
const added = plannerAddedFieldsOf(supergraphSdl);

const aliasing = (query: string, operationName?: string) => makeRequiresAliaser(added)(parse(query), operationName);
const printed = (document: DocumentNode) => stripIgnoredCharacters(print(document));
const rewritten = (query: string) => {
  const aliased = aliasing(query);
  if (aliased === null) throw new Error(`no rewrite of ${query}`);
  return aliased;
};
const typeNamed = (name: string) => {
  const type = added.schema.getType(name);
  if (type === undefined || !('name' in type)) throw new Error(`no type ${name}`);
  return type as Parameters<typeof added.on>[0];
};

describe('the fields the planner adds, read off the supergraph', () => {
  it('are the keys and the @requires selections of each type, nested ones on their own types', () => {
    const product = added.on(typeNamed('Product'));
    expect(Object.fromEntries([...(product ?? [])].map(([key, forms]) => [key, [...forms]]))).toEqual({
      upc: ['upc'],
      weight: ['weight'],
      price: ['price(currency:"USD")'],
      dimensions: ['dimensions'],
    });
    expect([...(added.on(typeNamed('Dimensions'))?.get('size') ?? [])].sort()).toEqual(['size', 'size(unit:"in")']);
    expect(added.on(typeNamed('User'))?.get('id')).toEqual(new Set(['id']));
    expect(added.on(typeNamed('Review'))).toBeUndefined();
  });

  it('on an interface, are those of its possible types', () => {
    expect(added.on(typeNamed('Priced'))?.get('price')).toEqual(new Set(['price(currency:"USD")']));
  });
});

describe('aliasing the client selections that clash with them', () => {
  it("leaves a document alone whose selections are the planner's own fields, or do not meet them", () => {
    expect(aliasing('{ products { upc weight dimensions { unit } shippingEstimate } }')).toBeNull();
    expect(aliasing('{ product(upc: "p1") { shippingEstimate eur: price usd: price(currency: "USD") } }')).toBeNull();
    expect(aliasing('{ product(upc: "p1") { price(currency: "USD") shippingEstimate } }')).toBeNull();
    expect(aliasing('{ latestReviews { id body author { id username } } }')).toBeNull();
  });

  it('aliases a required field selected with other arguments, or none', () => {
    expect(printed(rewritten('{ product(upc: "p1") { shippingEstimate price } }').document)).toBe(
      '{product(upc:"p1"){shippingEstimate price__client:price}}',
    );
    expect(printed(rewritten('query ($c: String!) { product(upc: "p1") { price(currency: $c) } }').document)).toBe(
      'query($c:String!){product(upc:"p1"){price__client:price(currency:$c)}}',
    );
  });

  it('aliases another field under the name of a required field or a key, and `__typename` as an alias', () => {
    expect(printed(rewritten('{ product(upc: "p1") { weight: name } }').document)).toBe(
      '{product(upc:"p1"){weight__client:name}}',
    );
    expect(printed(rewritten('{ product(upc: "p1") { upc: name } }').document)).toBe('{product(upc:"p1"){upc__client:name}}');
    expect(printed(rewritten('{ product(upc: "p1") { __typename: name } }').document)).toBe(
      '{product(upc:"p1"){typename__client:name}}',
    );
  });

  it('aliases a key everywhere in the document once one selection needs it, so the rename is one-to-one', () => {
    const { document } = rewritten('{ products { upc } product(upc: "p1") { upc: name } latestReviews { id } }');
    expect(printed(document)).toBe('{products{upc__client:upc}product(upc:"p1"){upc__client:name}latestReviews{id}}');
  });

  it('aliases a nested required field, on its own type', () => {
    expect(printed(rewritten('{ product(upc: "p2") { crateLabel dimensions { size unit } } }').document)).toBe(
      '{product(upc:"p2"){crateLabel dimensions{size__client:size unit}}}',
    );
  });

  it('aliases a field selected on an interface one of whose possible types requires it', () => {
    expect(printed(rewritten('{ priced { price ... on Product { shippingEstimate } } }').document)).toBe(
      '{priced{price__client:price ...on Product{shippingEstimate}}}',
    );
  });

  it('rewrites a named fragment once, wherever it is spread', () => {
    const { document } = rewritten(
      '{ product(upc: "p1") { ...Shipped } products { ...Shipped } } fragment Shipped on Product { shippingEstimate price }',
    );
    expect(printed(document)).toBe(
      '{product(upc:"p1"){...Shipped}products{...Shipped}}fragment Shipped on Product{shippingEstimate price__client:price}',
    );
  });

  it('keeps the directives of an aliased field', () => {
    expect(printed(rewritten('query ($f: Boolean!) { product(upc: "p1") { price @include(if: $f) } }').document)).toBe(
      'query($f:Boolean!){product(upc:"p1"){price__client:price@include(if:$f)}}',
    );
  });

  it('generates an alias that no name of the document has', () => {
    expect(
      printed(rewritten('{ product(upc: "p1") { price price__client: name } products { price__client2: upc } }').document),
    ).toBe('{product(upc:"p1"){price__client3:price price__client:name}products{price__client2:upc}}');
  });

  it('rewrites a document once', () => {
    const aliaser = makeRequiresAliaser(added);
    const document = parse('{ product(upc: "p1") { shippingEstimate price } }');
    const quiet = parse('{ products { upc } }');
    expect(aliaser(document)?.document).toBe(aliaser(document)?.document);
    expect(aliaser(quiet)).toBeNull();
    expect(aliaser(quiet)).toBeNull();
  });
});

describe("restoring the answer to the client's keys", () => {
  const restored = (aliased: AliasedOperation, result: Parameters<AliasedOperation['restore']>[0]) => aliased.restore(result);

  it('renames the aliases back in data, in the order of the keys, through lists and fragments', () => {
    const aliased = rewritten(
      '{ product(upc: "p1") { ...Shipped } products { ...Shipped } } fragment Shipped on Product { upc shippingEstimate price }',
    );
    const result = restored(aliased, {
      data: {
        product: { upc: 'p1', shippingEstimate: 25, price__client: 30 },
        products: [
          { upc: 'p1', shippingEstimate: 25, price__client: 30 },
          null,
          { upc: 'p3', shippingEstimate: null, price__client: 1 },
        ],
      },
    });
    expect(JSON.stringify(result.data)).toBe(
      JSON.stringify({
        product: { upc: 'p1', shippingEstimate: 25, price: 30 },
        products: [{ upc: 'p1', shippingEstimate: 25, price: 30 }, null, { upc: 'p3', shippingEstimate: null, price: 1 }],
      }),
    );
  });

  it("renames nested aliases, and leaves a scalar's value as it is even where it holds a key like an alias", () => {
    const aliased = rewritten('{ product(upc: "p2") { name crateLabel dimensions { size unit } } }');
    const result = restored(aliased, {
      data: { product: { name: { size__client: 1 }, crateLabel: '16 in', dimensions: { size__client: 40, unit: 'cm' } } },
    });
    expect(result.data).toEqual({
      product: { name: { size__client: 1 }, crateLabel: '16 in', dimensions: { size: 40, unit: 'cm' } },
    });
  });

  it('renames the aliases in error paths, keeping each error what it was', () => {
    const aliased = rewritten('{ product(upc: "p2") { crateLabel dimensions { size(unit: "furlong") } } }');
    const failure = new GraphQLError('no such unit: furlong', {
      path: ['product', 'dimensions', 'size__client'],
      extensions: { code: 'BAD_UNIT' },
    });
    const other = new GraphQLError('elsewhere', { path: ['product', 'crateLabel'] });
    const result = restored(aliased, { data: { product: { crateLabel: '16 in', dimensions: null } }, errors: [failure, other] });
    const [renamed, untouched] = result.errors ?? [];
    expect(renamed).toBeInstanceOf(GraphQLError);
    expect(renamed?.toJSON()).toEqual({
      message: 'no such unit: furlong',
      path: ['product', 'dimensions', 'size'],
      extensions: { code: 'BAD_UNIT' },
    });
    expect(failure.path).toEqual(['product', 'dimensions', 'size__client']);
    expect(untouched).toBe(other);
  });

  it('restores the operation it was asked for in a document of several', () => {
    const query = `
      query Cheap { product(upc: "p1") { price } }
      query Named { catalog: products { price: name } }
    `;
    const named = aliasing(query, 'Named');
    expect(named?.restore({ data: { catalog: [{ price__client: 'kettle' }] } }).data).toEqual({
      catalog: [{ price: 'kettle' }],
    });
    expect(aliasing(query, 'Cheap')?.restore({ data: { product: { price__client: 30 } } }).data).toEqual({
      product: { price: 30 },
    });
  });

  it('leaves a result without data as it is, its extensions too', () => {
    const aliased = rewritten('{ product(upc: "p1") { shippingEstimate price } }');
    expect(restored(aliased, { data: null, extensions: { cost: 1 } })).toEqual({ data: null, extensions: { cost: 1 } });
  });
});

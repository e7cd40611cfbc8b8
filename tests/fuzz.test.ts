import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Kind, type OperationDefinitionNode, parse, print, type TypeNode } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../lib/kernel/errors.js';
import { registerUser, type TestUser } from './support/graphql.js';
import { usePlatform } from './support/platform.js';

/**
 * Property-based fuzzing of the public API through the real gateway: valid and broken
 * operations and variables (odd, huge and NUL strings, wrong types, deep nesting, huge arrays,
 * invalid UTF-8, malformed bodies). Whatever comes in, the answer is a GraphQL response below
 * 500 whose errors carry a code of the contract and never a stack trace, SQL or an internal
 * error, and the gateway keeps answering. A fixed seed in CI; `npm run fuzz` runs longer
 * (FUZZ_RUNS, FUZZ_SEED).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** `random` (npm run fuzz) picks a new seed each run and prints it, so a failure can be replayed. */
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20261201);
if (process.env.FUZZ_SEED === 'random') console.info(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);

/** The closed set of codes (lib/kernel/errors.ts). */
const CODES: ReadonlySet<string> = new Set(ERROR_CODES);
/** What an error message must never show: a stack frame, a source path, SQL or a database message. */
const LEAK =
  /\bat \S+ \(|\.[cm]?[jt]s:\d+|node_modules|\bselect\b.+\bfrom\b|\binsert into\b|\bupdate \S+ set\b|relation "|syntax error at|violates|duplicate key|invalid byte sequence/i;

/** Every query and mutation the apps ship (clients/operations/<area>/), each with the fragments it needs. */
const operations = (() => {
  const dir = new URL('../clients/operations/', import.meta.url);
  const documents = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => parse(readFileSync(new URL(file, dir), 'utf8')));
  const fragments = documents.flatMap((document) => document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION));
  const fragmentText = fragments.map((fragment) => print(fragment)).join('\n');
  return documents
    .flatMap((document) => document.definitions)
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation !== 'subscription')
    .map((operation) => {
      const text = print(operation);
      const used = fragments.filter((fragment) => text.includes(`...${fragment.name.value}`)).length > 0;
      return {
        name: operation.name?.value ?? '',
        text: used ? `${text}\n${fragmentText}` : text,
        variables: (operation.variableDefinitions ?? []).map((v) => ({ name: v.variable.name.value, type: v.type })),
      };
    });
})();

/**
 * A value nested `depth` lists deep. Neither JSON.stringify nor fast-check's printer survives
 * thousands of levels, so it is a marker until `serialize` writes the brackets into the text.
 */
class Nested {
  constructor(readonly depth: number) {}
  toJSON(): string {
    return `\u0001nested:${this.depth}`;
  }
  [fc.toStringMethod](): string {
    return `Nested(${this.depth})`;
  }
}

function serialize(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001nested:(\d+)"/g, (_, depth: string) => {
    const n = Number(depth);
    return `${'['.repeat(n)}"x"${']'.repeat(n)}`;
  });
}

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', '\uDFFF\uD800', '\u202E', '%00', "'; drop table users.users; --", '\\', ''),
  fc.string({ minLength: 3000, maxLength: 9000, unit: 'grapheme-ascii' }),
  fc.uuid().map(String),
);

const anything = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, -(2 ** 31) - 1, 2 ** 31, Number.MAX_VALUE, true, false, null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 1200 }),
  fc.integer({ min: 50, max: 5000 }).map((depth) => new Nested(depth)),
);

/** A value for a GraphQL input type: mostly of the right shape with odd contents, sometimes anything. */
function valueFor(type: TypeNode): fc.Arbitrary<unknown> {
  if (type.kind === Kind.NON_NULL_TYPE) return valueFor(type.type);
  if (type.kind === Kind.LIST_TYPE) return fc.oneof(fc.array(valueFor(type.type), { maxLength: 30 }), anything);
  switch (type.name.value) {
    case 'String':
    case 'ID':
      return fc.oneof({ weight: 3, arbitrary: oddString }, { weight: 1, arbitrary: anything });
    case 'Int':
      return fc.oneof(fc.integer({ min: -5, max: 200 }), anything);
    case 'Boolean':
      return fc.oneof(fc.boolean(), anything);
    default:
      // Input objects (RegisterInput, UpdateProfileInput): known fields with odd strings, unknown ones too.
      return fc.oneof(
        fc.dictionary(
          fc.constantFrom('email', 'username', 'password', 'displayName', 'university', 'bio', 'avatarUrl', 'other'),
          oddString,
        ),
        anything,
      );
  }
}

const validRequest = fc.constantFrom(...operations).chain((operation) =>
  fc.tuple(...operation.variables.map((v) => fc.option(valueFor(v.type), { nil: undefined }))).map((values) => ({
    query: operation.text,
    operationName: operation.name,
    variables: Object.fromEntries(
      operation.variables.map((v, i) => [v.name, values[i]]).filter(([, value]) => value !== undefined),
    ),
  })),
);

/** A shipped operation broken: cut, with junk spliced in, or deeply nested. */
const brokenDocument = fc.constantFrom(...operations).chain((operation) =>
  fc.oneof(
    fc.nat({ max: operation.text.length }).map((at) => operation.text.slice(0, at)),
    fc
      .tuple(fc.nat({ max: operation.text.length }), fc.string({ maxLength: 20 }))
      .map(([at, junk]) => operation.text.slice(0, at) + junk + operation.text.slice(at)),
    fc.integer({ min: 50, max: 4000 }).map((depth) => `{ __typename(a: ${'['.repeat(depth)}1${']'.repeat(depth)}) }`),
    fc
      .integer({ min: 20, max: 400 })
      .map((depth) => `{ ${'me { following(first: 5) { nodes { '.repeat(depth)} id ${'} } }'.repeat(depth)} }`),
    fc.integer({ min: 2, max: 300 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`),
    fc.integer({ min: 2, max: 60 }).map((n) => `{ __typename ${'@nope '.repeat(n)}}`),
  ),
);

/** Bodies that are not a GraphQL request at all, as bytes (invalid UTF-8 included). */
const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(
      fc.constant('{"query":"{ searchPosts(query: \\"'),
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.constant('\\") { nodes { id } } }"}'),
    )
    .map(([head, bytes, tail]) => Buffer.concat([Buffer.from(head), Buffer.from(bytes.map((b) => b | 0x80)), Buffer.from(tail)])),
  fc.constantFrom(
    '[]',
    '{}',
    '{"query":5}',
    '{"query":"{ me { id } }","variables":"x"}',
    'null',
    '[{"query":"{ me { id } }"}',
    '{"query":"',
  ),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value))),
);

describe('fuzzing the public API', () => {
  const platform = usePlatform();
  let viewer: TestUser;

  beforeAll(async () => {
    viewer = await registerUser(platform.gatewayUrl);
  });

  async function post(body: string | Buffer, token: string | undefined) {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
      // An answer that takes this long is a failure of its own.
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, text: await response.text() };
  }

  function check({ status, text }: { status: number; text: string }, request: unknown): void {
    const context = `${JSON.stringify(request).slice(0, 300)} → ${status} ${text.slice(0, 400)}`;
    expect(status, context).toBeLessThan(500);
    let body: { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`not JSON: ${context}`);
    }
    for (const error of body.errors ?? []) {
      const code = error.extensions?.code;
      expect(CODES.has(code as string) && code !== 'INTERNAL_SERVER_ERROR', `code ${String(code)}: ${context}`).toBe(true);
      expect(LEAK.test(String(error.message)), `leak: ${context}`).toBe(false);
    }
  }

  // Generous: fast-check's runs are sequential requests through every process.
  const timeout = Math.max(240_000, RUNS * 200);

  it('answers every shipped operation with any variables within the contract', { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, fc.boolean(), async (request, signedIn) => {
        check(await post(serialize(request), signedIn ? viewer.token : undefined), request);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('answers broken documents within the contract', { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(brokenDocument, async (query) => {
        check(await post(JSON.stringify({ query }), viewer.token), query);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
    );
  });

  it('answers bodies that are not GraphQL requests within the contract', { timeout }, async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, async (body) => {
        check(await post(body, undefined), body.toString('latin1'));
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
    );
    // After all of it, the gateway still answers.
    expect(JSON.parse((await post('{"query":"{ __typename }"}', undefined)).text)).toEqual({ data: { __typename: 'Query' } });
  });
});

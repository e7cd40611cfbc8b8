import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { formOf, type PlannerAddedFields } from './planner-added-fields.js';

/**
 * The query planner (@apollo/query-planner 2.14) merges what it adds to a fetch (key fields,
 * `@requires` selections) into the client's selection of the same response key, even where the
 * two differ: with `shippingEstimate @requires(fields: "price(currency: \"USD\")")`, the client's
 * `price` is fetched as `price(currency: "USD")`, and a client's `upc: name` as `upc`. Short of
 * changing the planner, the client's selections under those keys get aliases of their own before
 * planning, and the answer is renamed back after.
 */

/** An operation to plan in place of the client's, and how to give its answer back in the client's shape. */
export interface AliasedOperation {
  /** The client's document with each clashing response key replaced by a generated alias. */
  readonly document: DocumentNode;
  /** `result` with each alias renamed back to the client's key: in `data` (key order kept) and in each error's path. */
  restore<R extends ExecutionResult>(result: R): R;
}

/** The rewrite of `document` for the named operation, or null when no selection of it clashes with what the planner adds. */
export type RequiresAliaser = (document: DocumentNode, operationName?: string | null) => AliasedOperation | null;

/** Aliases per document, over the fields the planner adds in one supergraph. A document's rewrite is computed once. */
export function makeRequiresAliaser(added: PlannerAddedFields): RequiresAliaser {
  const rewrites = new WeakMap<DocumentNode, DocumentRewrite | null>();
  return (document, operationName) => {
    let rewrite = rewrites.get(document);
    if (rewrite === undefined) {
      rewrite = rewriteOf(added, document);
      rewrites.set(document, rewrite);
    }
    if (rewrite === null) return null;
    const { document: aliased, restore } = rewrite;
    return { document: aliased, restore: (result) => restore(result, operationName ?? undefined) };
  };
}

interface DocumentRewrite {
  readonly document: DocumentNode;
  restore<R extends ExecutionResult>(result: R, operationName: string | undefined): R;
}

/**
 * Every response key that some selection in `document` shares with a field the planner adds
 * and is not that very field (same name, same arguments), and `__typename` used as an alias.
 * A key is aliased in the whole document, so the rename is one-to-one and cannot merge or
 * split an object's fields; fields that did not need it cost a duplicate fetch at most.
 */
function clashingKeys(added: PlannerAddedFields, document: DocumentNode): Set<string> {
  const keys = new Set<string>();
  const typeInfo = new TypeInfo(added.schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const key = responseKeyOf(field);
        if (keys.has(key)) return;
        if (key === '__typename') {
          if (field.name.value !== '__typename') keys.add(key);
          return;
        }
        const parent = typeInfo.getParentType() ?? undefined;
        const forms = parent === undefined ? undefined : added.on(parent)?.get(key);
        if (forms === undefined) return;
        const same = field.name.value === key && forms.size === 1 && forms.has(formOf(field));
        if (!same) keys.add(key);
      },
    }),
  );
  return keys;
}

function rewriteOf(added: PlannerAddedFields, document: DocumentNode): DocumentRewrite | null {
  const keys = clashingKeys(added, document);
  if (keys.size === 0) return null;

  const aliases = aliasesFor(keys, namesIn(document, added.fieldNames));
  const aliased = visit(document, {
    Field(field): FieldNode | undefined {
      const alias = aliases.get(responseKeyOf(field));
      return alias === undefined ? undefined : { ...field, alias: { kind: Kind.NAME, value: alias } };
    },
  });
  const clientKeys = new Map([...aliases].map(([key, alias]) => [alias, key]));
  const shapes = new ResultShapes(aliased, clientKeys);
  return {
    document: aliased,
    restore<R extends ExecutionResult>(result: R, operationName: string | undefined): R {
      const shape = shapes.of(operationName);
      const { data, errors } = result;
      return {
        ...result,
        ...(data === undefined || data === null || shape === undefined ? {} : { data: restoreValue(data, shape) }),
        ...(errors === undefined ? {} : { errors: errors.map((error) => withClientPath(error, clientKeys)) }),
      };
    },
  };
}

/** An alias per key, unlike any name in `taken` (the document's and the supergraph's fields), so that none can clash. */
function aliasesFor(keys: ReadonlySet<string>, taken: Set<string>): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const key of keys) {
    // Names starting with `__` are the introspection system's.
    const base = `${key.replace(/^_+/, '') || 'field'}__client`;
    let alias = base;
    for (let n = 2; taken.has(alias); n++) alias = `${base}${n}`;
    taken.add(alias);
    aliases.set(key, alias);
  }
  return aliases;
}

/** Every name in `document` (fields, aliases, arguments, fragments, variables) and those of `fieldNames`. */
function namesIn(document: DocumentNode, fieldNames: ReadonlySet<string>): Set<string> {
  const names = new Set(fieldNames);
  visit(document, {
    Name(name) {
      names.add(name.value);
    },
  });
  return names;
}

function responseKeyOf(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}

/** Where in an object to rename: its keys that are aliases, and the shapes of its fields that hold aliases deeper. */
interface ResultShape {
  field(key: string): { readonly clientKey: string; readonly shape: ResultShape | undefined } | undefined;
}

/**
 * The shapes of the results of an aliased document, following its selections (fragments
 * included, type conditions ignored: an alias names one client key wherever it appears).
 * Built lazily and kept, so a list of a thousand entities costs one walk of the selections.
 */
class ResultShapes {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private readonly holdsAlias = new WeakMap<SelectionSetNode, boolean>();
  private readonly operations = new Map<OperationDefinitionNode, ResultShape>();

  constructor(
    private readonly document: DocumentNode,
    private readonly clientKeys: ReadonlyMap<string, string>,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  of(operationName: string | undefined): ResultShape | undefined {
    const operation = getOperationAST(this.document, operationName) ?? undefined;
    if (operation === undefined) return undefined;
    let shape = this.operations.get(operation);
    if (shape === undefined) {
      shape = this.shapeOf([operation.selectionSet]);
      this.operations.set(operation, shape);
    }
    return shape;
  }

  private shapeOf(selectionSets: readonly SelectionSetNode[]): ResultShape {
    let fields: Map<string, { clientKey: string; shape: ResultShape | undefined }> | undefined;
    return {
      field: (key) => {
        fields ??= this.fieldsOf(selectionSets);
        return fields.get(key);
      },
    };
  }

  private fieldsOf(selectionSets: readonly SelectionSetNode[]) {
    const children = new Map<string, SelectionSetNode[]>();
    const collect = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = responseKeyOf(selection);
          const sets = children.get(key) ?? [];
          if (selection.selectionSet !== undefined) sets.push(selection.selectionSet);
          children.set(key, sets);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet);
        } else {
          const fragment = this.fragments.get(selection.name.value);
          if (fragment !== undefined) collect(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of selectionSets) collect(selectionSet);
    const fields = new Map<string, { clientKey: string; shape: ResultShape | undefined }>();
    for (const [key, sets] of children) {
      const deeper = sets.filter((set) => this.holdsAnAlias(set));
      fields.set(key, {
        clientKey: this.clientKeys.get(key) ?? key,
        shape: deeper.length === 0 ? undefined : this.shapeOf(deeper),
      });
    }
    return fields;
  }

  private holdsAnAlias(selectionSet: SelectionSetNode): boolean {
    let holds = this.holdsAlias.get(selectionSet);
    if (holds === undefined) {
      holds = selectionSet.selections.some((selection) => {
        if (selection.kind === Kind.FIELD) {
          return (
            this.clientKeys.has(responseKeyOf(selection)) ||
            (selection.selectionSet !== undefined && this.holdsAnAlias(selection.selectionSet))
          );
        }
        if (selection.kind === Kind.INLINE_FRAGMENT) return this.holdsAnAlias(selection.selectionSet);
        const fragment = this.fragments.get(selection.name.value);
        return fragment !== undefined && this.holdsAnAlias(fragment.selectionSet);
      });
      this.holdsAlias.set(selectionSet, holds);
    }
    return holds;
  }
}

function restoreValue(value: unknown, shape: ResultShape): unknown {
  if (Array.isArray(value)) return value.map((item) => restoreValue(item, shape));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines each key as data, `__proto__` included.
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      const field = shape.field(key);
      if (field === undefined) return [key, child];
      return [field.clientKey, field.shape === undefined ? child : restoreValue(child, field.shape)];
    }),
  );
}

/**
 * `error` with each alias in its path renamed to the client's key: a copy of the same class and
 * properties. An alias is unlike every name of the document, so a path segment that equals one is one.
 */
function withClientPath<E extends { readonly path?: readonly (string | number)[] | undefined }>(
  error: E,
  clientKeys: ReadonlyMap<string, string>,
): E {
  const { path } = error;
  if (path === undefined || !path.some((segment) => typeof segment === 'string' && clientKeys.has(segment))) return error;
  const clientPath = path.map((segment) => (typeof segment === 'string' ? (clientKeys.get(segment) ?? segment) : segment));
  return Object.create(Object.getPrototypeOf(error), {
    ...Object.getOwnPropertyDescriptors(error),
    path: { value: clientPath, enumerable: true, writable: true, configurable: true },
  });
}

import type { z } from 'zod';

/** What `list` is asked for. */
export interface ListQuery {
  /** Most items returned, newest first. */
  readonly limit: number;
  /** Only items created (opened, requested) at or after this time (epoch ms). */
  readonly since?: number;
}

/** A list, newest first, with what the reader wants the operator to know about it. */
export interface ListResult<Item> {
  readonly items: readonly Item[];
  /** e.g. "3 ledger line(s) are not records: run meshwarden audit verify". */
  readonly notes: readonly string[];
}

/**
 * One kind of thing the console lists and shows (incidents, cases, runs, approvals): read from
 * a state directory by the CLI and by the service's API alike, rendered by the CLI for people,
 * sent as is for `-o json|yaml` and over the API.
 * Adding one is one file and one line in `console-resources.ts`.
 */
export interface ConsoleResource<Item> {
  /** Plural: the CLI command (`meshwarden incidents`) and the API path (`/api/v1/incidents`). */
  readonly name: string;
  readonly singular: string;
  readonly description: string;
  /** What one item looks like over the API: the CLI checks the service's answers with it. */
  readonly schema: z.ZodType<Item>;
  list(stateDir: string, query: ListQuery): Promise<ListResult<Item>>;
  show(stateDir: string, id: string): Promise<Item | undefined>;
  /** The columns of `list -o text`. */
  readonly header: readonly string[];
  row(item: Item): string[];
  /** The `key: value` lines of `show -o text`. */
  fields(item: Item): (readonly [string, string | undefined])[];
}

/** A resource with its item type erased, for the registry and the code that serves every kind alike. */
export interface AnyConsoleResource {
  readonly name: string;
  readonly singular: string;
  readonly description: string;
  list(stateDir: string, query: ListQuery): Promise<ListResult<unknown>>;
  show(stateDir: string, id: string): Promise<unknown>;
  /** Checks an item received from the service; throws a zod error when it is not one. */
  parse(item: unknown): unknown;
  readonly header: readonly string[];
  row(item: unknown): string[];
  fields(item: unknown): (readonly [string, string | undefined])[];
}

/** Erases a resource's item type: every item that enters `row`/`fields` is parsed by its schema first. */
export function anyResource<Item>(resource: ConsoleResource<Item>): AnyConsoleResource {
  return {
    name: resource.name, singular: resource.singular, description: resource.description, header: resource.header,
    list: (stateDir, query) => resource.list(stateDir, query),
    show: (stateDir, id) => resource.show(stateDir, id),
    parse: (item) => resource.schema.parse(item),
    row: (item) => resource.row(resource.schema.parse(item)),
    fields: (item) => resource.fields(resource.schema.parse(item)),
  };
}

/** Newest first, at most `limit`, none before `since`. */
export function newestFirst<Item>(items: readonly Item[], at: (item: Item) => number, query: ListQuery): Item[] {
  return items
    .filter((item) => query.since === undefined || at(item) >= query.since)
    .sort((a, b) => at(b) - at(a))
    .slice(0, query.limit);
}

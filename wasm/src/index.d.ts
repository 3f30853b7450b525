// TypeScript declarations for the terndb JS package (hand-written; see index.mjs).

import type { Sync } from "./sync";
export * from "./sync";

/** An SQL value as it crosses to JavaScript. Integers beyond 2^53 arrive as bigint. */
export type SQLValue = null | number | bigint | string | Uint8Array | boolean;

/** Positional (`?`) parameters as an array, named (`:name`) ones as an object. */
export type Params = SQLValue[] | Record<string, SQLValue> | null | undefined;

export interface Field {
  name: string;
}

export interface Results<R = Record<string, SQLValue>> {
  rows: R[];
  fields: Field[];
  /** Rows inserted, updated or deleted by the statement (0 for queries). */
  rowsAffected: number;
  /** The rowid of the last row inserted by this connection, or null. */
  lastInsertRowid: number | bigint | null;
}

export interface QueryOptions {
  /** "object" (default): each row is `{column: value}`; "array": each row is `[value, ...]`. */
  rowMode?: "object" | "array";
}

export interface OpenOptions {
  /** Where the Pyodide runtime and the terndb wheel are served (default: ../dist/pyodide/ next to this module). */
  indexURL?: string;
  /** idb:// and opfs:// only: set false to skip the cross-tab leader election. */
  multiTab?: boolean;
}

export interface Transaction {
  query<R = Record<string, SQLValue>>(sql: string, params?: Params, options?: QueryOptions): Promise<Results<R>>;
  exec(script: string): Promise<void>;
  /** Roll back now; the transaction callback's result is still returned. */
  rollback(): Promise<void>;
}

export interface LiveQuery<R = Record<string, SQLValue>> {
  initialResults: Results<R>;
  unsubscribe(): Promise<void>;
}

export interface LiveNamespace {
  /**
   * Run `sql` now and again after every committed transaction (in any tab) that
   * changes a table it reads; `callback` receives each result.
   */
  query<R = Record<string, SQLValue>>(sql: string, params: Params,
    callback: (results: Results<R>) => void): Promise<LiveQuery<R>>;
}

/** An error from the engine; `name` is its PEP 249 class (e.g. "IntegrityError", "OperationalError"). */
export class TernDBError extends Error {
  name: string;
  code: string;
}

export class TernDB {
  /**
   * Open a database: "idb://name" (IndexedDB), "opfs://name" (OPFS, in the worker),
   * "memory://" (nothing persists), or in Node a file path such as "./data/notes".
   */
  static open(url?: string, options?: OpenOptions): Promise<TernDB>;
  /** Ask the browser to keep this origin's storage (navigator.storage.persist()). */
  static persist(): Promise<boolean>;

  constructor(url?: string, options?: OpenOptions);
  readonly url: string;
  readonly ready: Promise<TernDB>;
  readonly closed: boolean;
  /** True when this tab's worker owns the database (false while it forwards to another tab). */
  readonly leader: boolean;
  /** Start-up times in ms: pyodide (runtime), terndb (wheel + import), open. */
  readonly timings: { pyodide?: number; terndb?: number; open?: number };
  readonly live: LiveNamespace;
  /** Offline-first sync with a `terndb serve` server (sync.d.ts). */
  readonly sync: Sync;

  /** Run one statement. A write outside a transaction is durable when the promise resolves. */
  query<R = Record<string, SQLValue>>(sql: string, params?: Params, options?: QueryOptions): Promise<Results<R>>;
  /** Run several statements; durable when the promise resolves. */
  exec(script: string): Promise<void>;
  /** Commit when `fn` resolves, roll back when it throws (the error is re-thrown). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  persist(): Promise<boolean>;
  close(): Promise<void>;
  /** Stop the worker at once, as a crash would (for tests). */
  terminate(): void;
}

export default TernDB;

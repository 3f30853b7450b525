// Type declarations for db.sync (sync.mjs).

/** A table plus an equality filter, evaluated (and narrowed by the rules) on the server. */
export interface Subscription {
  table: string;
  where?: Record<string, unknown | unknown[]>;
}

export interface SyncStatus {
  started: boolean;
  /** false after a round failed to reach the server; null before the first round. */
  online: boolean | null;
  syncing: boolean;
  /** Local transactions not yet acknowledged by the server. */
  pending: number;
  /** Date.now() of the last completed round. */
  lastSync: number | null;
  lastError: string | null;
  client: string | null;
  conflicts: number;
  rejected: number;
}

/** Two concurrent writes of one column; the server kept the later hybrid-logical-clock stamp. */
export interface SyncConflict {
  table: string;
  pk: unknown;
  /** null: the row was deleted by the other writer. */
  column: string | null;
  mine: unknown;
  theirs: unknown;
  mine_hlc: string;
  theirs_hlc: string;
  seq: number;
  kept: "mine" | "theirs";
  rule: string;
}

/** A local transaction the server refused (or a dependant of one), rolled back locally. */
export interface SyncRejection {
  seq: number;
  reason: string;
  ops: unknown[];
  dependantOf: number | null;
}

export interface SyncRoundResult {
  pushed: number;
  acked: number;
  pulled: number;
  reset: boolean;
  pending: number;
  client: string;
  ms: number;
  conflicts: SyncConflict[];
  rejected: SyncRejection[];
}

export interface SyncStartOptions {
  /** The server's base URL (e.g. location.origin when it also serves the app). */
  url: string;
  /** An HS256 JWT, or a function returning one (called before every round). */
  token?: string | (() => string | Promise<string>);
  subscriptions?: (Subscription | string)[];
  /** Milliseconds between background rounds (default 2000). */
  interval?: number;
  onStatus?: (status: SyncStatus) => void;
  onConflict?: (conflict: SyncConflict) => void;
  onReject?: (rejection: SyncRejection) => void;
}

export declare class Sync {
  readonly status: SyncStatus;
  readonly running: boolean;
  start(options: SyncStartOptions): Promise<SyncStatus>;
  now(): Promise<SyncRoundResult>;
  stop(): Promise<void>;
}

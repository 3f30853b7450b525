"""Server configuration (TOML).

    [server]
    secret_env = "TERNDB_SECRET"      # environment variable holding the HS256 secret
    user_claim = "sub"                # the claim naming the user id
    admin_claim = "admin"             # a true claim grants SQL over HTTP without rules
    max_request_bytes = 4194304
    max_subscriptions = 16
    log_keep = 100000                 # log entries kept when compacting
    tombstone_ttl = 604800            # seconds a delete's tombstone is kept after compaction
    schema = '''CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY, owner TEXT, title TEXT)'''

    [tables.todo]
    read = "owner = :user_id OR shared = 1"
    write = "owner = :user_id"
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..sync import protocol as P


class ConfigError(Exception):
    pass


@dataclass
class TableRule:
    read: str = "1"
    write: str = "1"


@dataclass
class Config:
    tables: dict[str, TableRule] = field(default_factory=dict)
    secret_env: str = "TERNDB_SECRET"
    secret: Optional[str] = None
    user_claim: str = "sub"
    admin_claim: str = "admin"
    max_request_bytes: int = P.MAX_REQUEST_BYTES
    max_subscriptions: int = P.MAX_SUBSCRIPTIONS
    max_txns_per_push: int = P.MAX_TXNS_PER_PUSH
    max_pull_entries: int = P.MAX_PULL_ENTRIES
    max_long_polls: int = 1000
    max_skew_ms: int = 60_000
    log_keep: int = 100_000
    tombstone_ttl: float = 7 * 86400
    schema: str = ""

    def rules_hash(self) -> str:
        return hashlib.sha256(json.dumps({k: [v.read, v.write] for k, v in sorted(self.tables.items())})
                              .encode()).hexdigest()[:16]

    def get_secret(self) -> str:
        if self.secret:
            return self.secret
        s = os.environ.get(self.secret_env)
        if not s:
            raise ConfigError(f"the token secret is not set: export {self.secret_env}=...")
        return s


def load(path: Optional[str]) -> Config:
    if path is None:
        return Config()
    import tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    return from_dict(data)


def from_dict(data: dict[str, Any]) -> Config:
    cfg = Config()
    srv = data.get("server", {})
    for k, v in srv.items():
        if not hasattr(cfg, k) or k == "tables":
            raise ConfigError(f"unknown [server] setting {k!r}")
        setattr(cfg, k, v)
    for name, rule in data.get("tables", {}).items():
        if not isinstance(rule, dict):
            raise ConfigError(f"[tables.{name}] must be a table")
        unknown = set(rule) - {"read", "write"}
        if unknown:
            raise ConfigError(f"[tables.{name}]: unknown keys {sorted(unknown)}")
        cfg.tables[name.lower()] = TableRule(str(rule.get("read", "1")), str(rule.get("write", "1")))
    return cfg

"""Interoperability with other data tools.

:mod:`terndb.interop.arrow` moves data between TernDB and Apache Arrow
(``pyarrow``) / Parquet.  pyarrow is optional: importing this package never
imports it; only calling one of the Arrow functions does, and a missing pyarrow
is reported with :class:`ArrowNotInstalledError` (both an ``ImportError`` and a
:class:`terndb.NotSupportedError`) telling you to ``pip install pyarrow``.
"""

from __future__ import annotations

from .arrow import (ArrowNotInstalledError, fetch_arrow, fetch_record_batches, load_arrow,
                    load_parquet)

__all__ = [
    "ArrowNotInstalledError", "fetch_arrow", "fetch_record_batches", "load_arrow", "load_parquet",
]

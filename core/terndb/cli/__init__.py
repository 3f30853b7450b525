"""The ``terndb`` command line: the SQL shell (``terndb shell PATH``) and the demo."""

from __future__ import annotations

__all__ = ["main"]


def main(argv=None) -> int:  # type: ignore[no-untyped-def]
    """Run the ``terndb`` command (see :mod:`terndb.cli.main`)."""
    from .main import main as _main
    return _main(argv)

"""Feature tests: TernDB against Python's sqlite3 (SQLite 3.40) as the oracle.

``oracle.py`` holds the helper (``check`` runs a list of statements on both
engines and compares each outcome; ``Pair`` drives both through the Python
API).  Run with ``.venv/bin/pytest tests/features``.
"""

"""Differential tests: TernDB against Python's sqlite3 (the oracle)."""

"""``python -m terndb.cli.demo``: the TernDB shell on a sample bookstore database.

Creates (or reuses) ``build/demo.terndb`` under the current directory with
authors, books, customers and sales generated deterministically, prints a few
queries to try and opens the shell on it.  When stdin is not a terminal the
example queries run and the program exits.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date, timedelta
from typing import Any, Optional, Sequence

import terndb

DEFAULT_PATH = os.path.join("build", "demo.terndb")

SCHEMA = """
CREATE TABLE authors(
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL,
  country TEXT NOT NULL,
  born    INTEGER
);
CREATE TABLE books(
  id        INTEGER PRIMARY KEY,
  title     TEXT NOT NULL,
  author_id INTEGER NOT NULL REFERENCES authors(id),
  genre     TEXT NOT NULL,
  published INTEGER NOT NULL,
  pages     INTEGER NOT NULL,
  price     REAL NOT NULL
);
CREATE TABLE customers(
  id     INTEGER PRIMARY KEY,
  name   TEXT NOT NULL,
  city   TEXT NOT NULL,
  joined TEXT NOT NULL
);
CREATE TABLE sales(
  id          INTEGER PRIMARY KEY,
  book_id     INTEGER NOT NULL REFERENCES books(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  sold_on     TEXT NOT NULL,
  quantity    INTEGER NOT NULL CHECK (quantity > 0),
  unit_price  REAL NOT NULL
);
CREATE INDEX books_author ON books(author_id);
CREATE INDEX sales_book ON sales(book_id);
CREATE INDEX sales_day ON sales(sold_on);
CREATE VIEW book_sales AS
  SELECT b.id AS book_id, b.title, a.name AS author, b.genre,
         SUM(s.quantity) AS copies, ROUND(SUM(s.quantity * s.unit_price), 2) AS revenue
  FROM books b JOIN authors a ON a.id = b.author_id
  JOIN sales s ON s.book_id = b.id
  GROUP BY b.id;
"""

EXAMPLES = [
    ("Best sellers",
     "SELECT title, author, copies, revenue FROM book_sales ORDER BY copies DESC, title LIMIT 5;"),
    ("Revenue by genre",
     "SELECT b.genre, COUNT(DISTINCT b.id) AS books, SUM(s.quantity) AS copies,\n"
     "       ROUND(SUM(s.quantity * s.unit_price), 2) AS revenue\n"
     "  FROM sales s JOIN books b ON b.id = s.book_id\n"
     " GROUP BY b.genre ORDER BY revenue DESC;"),
    ("Sales per month",
     "SELECT substr(sold_on, 1, 7) AS month, COUNT(*) AS orders, SUM(quantity) AS copies\n"
     "  FROM sales GROUP BY month ORDER BY month;"),
    ("Authors with more than four books",
     "SELECT a.name, a.country, COUNT(*) AS books, MIN(b.published) AS first, MAX(b.published) AS latest\n"
     "  FROM authors a JOIN books b ON b.author_id = a.id\n"
     " GROUP BY a.id HAVING COUNT(*) > 4 ORDER BY books DESC, a.name;"),
    ("How a query runs",
     "EXPLAIN QUERY PLAN\n"
     "SELECT c.name, s.sold_on FROM sales s JOIN customers c ON c.id = s.customer_id\n"
     " WHERE s.book_id = 7;"),
]

_FIRST = ["Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
          "Kwame", "Lucia", "Mateo", "Nadia", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tamar",
          "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zofia"]
_LAST = ["Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fontaine", "Garcia", "Haddad", "Ito",
         "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe",
         "Rossi", "Silva", "Tanaka", "Urquhart", "Varga", "Weber", "Xu", "Yilmaz", "Zeller"]
_COUNTRIES = ["Brazil", "Canada", "France", "Germany", "India", "Italy", "Japan", "Nigeria",
              "Poland", "Spain", "Sweden", "United Kingdom", "United States"]
_CITIES = ["Amsterdam", "Berlin", "Boston", "Dublin", "Kyoto", "Lagos", "Lisbon", "Lyon",
           "Melbourne", "Montreal", "Oslo", "Porto", "Seoul", "Toronto", "Valencia"]
_ADJ = ["Silent", "Crimson", "Hidden", "Last", "Northern", "Broken", "Golden", "Quiet", "Distant",
        "Secret", "Winter", "Burning", "Paper", "Glass", "Salt", "Iron", "Hollow", "Bright"]
_NOUN = ["River", "Garden", "Orchard", "Harbor", "Library", "Mountain", "Cartographer", "Lantern",
         "Archive", "Island", "Compass", "Clockmaker", "Tide", "Observatory", "Forest", "Letters"]
_GENRES = {"Fiction": (12.0, 22.0), "Mystery": (9.0, 18.0), "Science Fiction": (10.0, 20.0),
           "History": (18.0, 35.0), "Poetry": (8.0, 15.0), "Biography": (15.0, 30.0),
           "Cooking": (20.0, 40.0)}


def build(con: Any, seed: int = 1859) -> None:
    """Create the schema and load the sample rows (deterministic for ``seed``)."""
    rnd = random.Random(seed)
    con.execute("BEGIN")
    try:
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        authors: list[tuple[int, str, str, int]] = []
        used: set[str] = set()
        while len(authors) < 30:
            name = f"{rnd.choice(_FIRST)} {rnd.choice(_LAST)}"
            if name in used:
                continue
            used.add(name)
            authors.append((len(authors) + 1, name, rnd.choice(_COUNTRIES), rnd.randint(1930, 1995)))
        con.executemany("INSERT INTO authors VALUES (?, ?, ?, ?)", authors)

        books: list[tuple[Any, ...]] = []
        titles: set[str] = set()
        genres = sorted(_GENRES)
        while len(books) < 120:
            pattern = rnd.randrange(3)
            adj, noun = rnd.choice(_ADJ), rnd.choice(_NOUN)
            if pattern == 0:
                title = f"The {adj} {noun}"
            elif pattern == 1:
                title = f"{noun} of the {adj} {rnd.choice(_NOUN)}"
            else:
                article = "An" if noun[0] in "AEIOU" else "A"
                title = f"{article} {noun} in {rnd.choice(_CITIES)}"
            if title in titles:
                continue
            titles.add(title)
            author = authors[min(int(rnd.expovariate(1 / 8)), len(authors) - 1)]
            genre = rnd.choice(genres)
            lo, hi = _GENRES[genre]
            first = min(author[3] + 22, 2024)
            published = rnd.randint(first, max(first, min(author[3] + 75, 2024)))
            books.append((len(books) + 1, title, author[0], genre, published,
                          rnd.randint(90, 720), round(round(rnd.uniform(lo, hi)) - 0.01, 2)))
        con.executemany("INSERT INTO books VALUES (?, ?, ?, ?, ?, ?, ?)", books)

        customers = []
        start = date(2021, 1, 1)
        for i in range(1, 81):
            name = f"{rnd.choice(_FIRST)} {rnd.choice(_LAST)}"
            joined = start + timedelta(days=rnd.randrange(700))
            customers.append((i, name, rnd.choice(_CITIES), joined.isoformat()))
        con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", customers)

        sales = []
        weights = [1.0 / (1 + (i % 40)) for i in range(len(books))]
        first_sale = date(2024, 1, 1)
        for i in range(1, 451):
            book = rnd.choices(books, weights)[0]
            day = first_sale + timedelta(days=rnd.randrange(366))
            qty = 1 if rnd.random() < 0.7 else rnd.randint(2, 5)
            price = book[6] if rnd.random() < 0.8 else round(book[6] * 0.8, 2)
            sales.append((i, book[0], rnd.randint(1, len(customers)), day.isoformat(), qty, price))
        sales.sort(key=lambda s: (s[3], s[0]))
        sales = [(i + 1,) + s[1:] for i, s in enumerate(sales)]
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?)", sales)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _is_ready(con: Any) -> bool:
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master").fetchall()}
    if not {"authors", "books", "customers", "sales", "book_sales"} <= names:
        return False
    return con.execute("SELECT count(*) FROM sales").fetchone()[0] > 0


def prepare(path: str, reset: bool = False) -> bool:
    """Make sure ``path`` holds the sample database; True when it was (re)built."""
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    con = terndb.connect(path, isolation_level=None)
    try:
        if not reset and _is_ready(con):
            return False
        # Start over: drop whatever an earlier (interrupted) run left behind.
        for typ, name in con.execute("SELECT type, name FROM sqlite_master "
                                     "WHERE type IN ('view', 'table')").fetchall():
            if typ == "view":
                con.execute(f'DROP VIEW IF EXISTS "{name}"')
        for typ, name in con.execute("SELECT type, name FROM sqlite_master "
                                     "WHERE type = 'table'").fetchall():
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
        build(con)
        return True
    finally:
        con.close()


def banner(path: str, built: bool) -> str:
    lines = [
        f"TernDB {terndb.__version__} demo: a small bookstore in {path}"
        + (" (freshly built)" if built else ""),
        "Tables: authors (30), books (120), customers (80), sales (450); view: book_sales.",
        "",
        "Queries to try:",
    ]
    for title, sql in EXAMPLES:
        lines.append(f"  -- {title}")
        lines.extend("  " + line for line in sql.splitlines())
    lines += ["",
              'Dot commands: .tables  .schema books  .mode csv|json|line|box  .timer on  .help',
              ""]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terndb.cli.demo",
                                     description="Open the TernDB shell on a sample bookstore database.")
    parser.add_argument("--db", default=DEFAULT_PATH, metavar="PATH",
                        help=f"database file to create or reuse (default {DEFAULT_PATH})")
    parser.add_argument("--reset", action="store_true", help="rebuild the sample data")
    args = parser.parse_args(argv)

    from .shell import Shell, ShellExit
    try:
        built = prepare(args.db, reset=args.reset)
    except terndb.Error as e:
        sys.stderr.write(f"Error: cannot prepare the demo database {args.db}: {e}\n")
        return 1
    shell = Shell(args.db)
    shell.settings.set_mode("box")
    try:
        if sys.stdin.isatty():
            sys.stdout.write(banner(args.db, built) + "\n")
            try:
                shell.repl(banner=False)
            except ShellExit as e:
                return e.code or 0
            return 0
        # Not a terminal: show what the example queries return, then exit.
        sys.stdout.write(banner(args.db, built).split("\nQueries to try:")[0] + "\n")
        ok = True
        for title, sql in EXAMPLES:
            sys.stdout.write(f"-- {title}\nterndb> " + sql.replace("\n", "\n   ...> ") + "\n")
            ok = shell.run_sql(sql) and ok
            sys.stdout.write("\n")
        return 0 if ok else 1
    finally:
        shell.close()


if __name__ == "__main__":
    sys.exit(main())

"""Small shared data sets for the query tests."""

COMPANY = [
    "CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT, city TEXT)",
    "CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept_id INTEGER, boss_id INTEGER,"
    " salary REAL, bonus INTEGER)",
    "CREATE TABLE proj(id INTEGER PRIMARY KEY, title TEXT, dept_id INTEGER)",
    "CREATE TABLE assign(emp_id INTEGER, proj_id INTEGER, hours INTEGER)",
    "INSERT INTO dept VALUES (1, 'Eng', 'Oslo'), (2, 'Sales', 'Rome'), (3, 'Ops', 'Oslo'),"
    " (4, 'Empty', NULL)",
    "INSERT INTO emp VALUES"
    " (1, 'Ann', 1, NULL, 5000.0, 100),"
    " (2, 'Bob', 1, 1, 4000.0, NULL),"
    " (3, 'Cid', 2, 1, 3500.5, 50),"
    " (4, 'Dee', 2, 3, 3000.0, 0),"
    " (5, 'Eve', NULL, 1, 2500.0, 10),"
    " (6, 'Fay', 3, 1, 4000.0, NULL),"
    " (7, 'gus', 1, 2, 1000.0, 5)",
    "INSERT INTO proj VALUES (1, 'Alpha', 1), (2, 'Beta', 1), (3, 'Gamma', 2), (4, 'Delta', NULL)",
    "INSERT INTO assign VALUES (1, 1, 10), (2, 1, 20), (2, 2, 5), (3, 3, 8), (7, 2, 1),"
    " (6, 9, 3)",
]

MIXED = [
    "CREATE TABLE m(id INTEGER PRIMARY KEY, v)",
    "INSERT INTO m(v) VALUES (1), (2.5), ('10'), ('abc'), (x'00ff'), (NULL), (-3), ('B'),"
    " (0.0), ('a'), (x''), (''), (9223372036854775807), (1e100)",
]

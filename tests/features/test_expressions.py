"""CASE, CAST, string and date functions, typeof, arithmetic corner cases."""

import pytest

from .data import MIXED
from .oracle import check


def test_case_searched_and_simple():
    check("SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END, "
          "CASE 3 WHEN 1 THEN 'one' WHEN 3 THEN 'three' END, CASE 5 WHEN 1 THEN 'one' END, "
          "CASE NULL WHEN NULL THEN 'null matched' ELSE 'no match' END")


def test_case_without_else_and_types():
    check("SELECT CASE WHEN 0 THEN 1 END, CASE WHEN 1 THEN 2.5 ELSE 1 END, "
          "typeof(CASE WHEN 1 THEN 2 ELSE 2.5 END)")


def test_case_over_table():
    check(MIXED, "SELECT id, CASE typeof(v) WHEN 'integer' THEN 'i' WHEN 'real' THEN 'r' "
                 "WHEN 'text' THEN 't' WHEN 'blob' THEN 'b' ELSE 'n' END FROM m ORDER BY id")


@pytest.mark.parametrize("value", ["12", "'12'", "'12abc'", "' 12 '", "'abc'", "12.7", "-12.7",
                                   "'1e3'", "x'3132'", "NULL", "'0x1A'", "'-0'", "1e20",
                                   "'9223372036854775808'", "''", "'  -3.5e2xyz'"])
def test_cast_to_each_type(value):
    check(f"SELECT CAST({value} AS INTEGER), CAST({value} AS REAL), CAST({value} AS TEXT), "
          f"CAST({value} AS NUMERIC), typeof(CAST({value} AS BLOB)), typeof(CAST({value} AS NUMERIC))")


def test_cast_type_names_affinity_rules():
    check("SELECT CAST('3.0' AS INT), CAST('3.0' AS VARCHAR), CAST('3.0' AS FLOATING), "
          "CAST('3.0' AS DECIMAL(5,2)), CAST('3.0' AS whatever), CAST('3' AS DOUBLE PRECISION)")


def test_cast_real_to_integer_truncates_and_clamps():
    check("SELECT CAST(2.9 AS INTEGER), CAST(-2.9 AS INTEGER), CAST(1e30 AS INTEGER), CAST(-1e30 AS INTEGER)")


def test_string_functions():
    check("SELECT length('héllo'), upper('abc'), lower('ÀBC'), substr('abcdef', 2, 3), substr('abcdef', -2), "
          "substr('abcdef', 0, 2), substring('abc', 2), replace('aXbXc', 'X', '--'), trim('  x  '), "
          "ltrim('xxay', 'x'), rtrim('ayyy', 'y'), instr('hello', 'll'), instr('hello', 'z')")


def test_string_functions_with_nulls():
    check("SELECT length(NULL), upper(NULL), substr(NULL, 1), replace('a', NULL, 'b'), 'a' || NULL, "
          "instr(NULL, 'a'), trim(NULL)")


def test_concat_and_numbers():
    check("SELECT 1 || 2, 1.5 || 'x', typeof(1 || 2), x'41' || 'B', 'a' || 1e100")


def test_length_of_blob_and_numbers():
    check("SELECT length(x'0001'), length(123), length(1.5), length(''), length('é')")


def test_octet_length_does_not_exist_in_3_40():
    # octet_length() arrived in SQLite 3.43
    check("SELECT octet_length('é')")


def test_hex_quote_char_unicode():
    check("SELECT hex('AB'), hex(255), hex(x'00ff'), quote('it''s'), quote(1.5), quote(NULL), "
          "quote(x'ab'), char(72, 105), unicode('A'), unicode('')")


def test_printf_format():
    check("SELECT printf('%d-%s-%.2f', 7, 'x', 3.14159), printf('%5s|%-5s|', 'a', 'b'), "
          "format('%x %o %e', 255, 8, 12345.678), printf('%%'), printf('%c', 'hello')")


def test_like_and_glob():
    check("SELECT 'Hello' LIKE 'h%', 'Hello' LIKE 'H_llo', 'Hello' GLOB 'h*', 'Hello' GLOB 'H*', "
          "'a_b' LIKE 'a\\_b' ESCAPE '\\', 'axb' LIKE 'a\\_b' ESCAPE '\\', 'abc' GLOB '[a-c]b?', "
          "NULL LIKE 'a', 'é' LIKE 'É'")


def test_numeric_functions():
    check("SELECT abs(-3), abs(-3.5), abs(NULL), round(2.5), round(-2.5), round(3.14159, 2), "
          "typeof(round(2)), max(1, 2.5, '3'), min(1, 'a', NULL), sign(-4), sign(0.0)")


def test_coalesce_ifnull_nullif_iif():
    check("SELECT coalesce(NULL, NULL, 3, 4), ifnull(NULL, 'x'), nullif(1, 1), nullif(1, 2), "
          "iif(1 > 0, 'yes', 'no'), coalesce(NULL, NULL)")


def test_coalesce_with_one_argument_fails():
    check("SELECT coalesce(NULL)", "SELECT coalesce(1)", "SELECT ifnull(1)")


def test_random_and_randomblob_shapes():
    check("SELECT typeof(random()), length(randomblob(8)), typeof(randomblob(8))")


def test_date_functions_fixed_inputs():
    check("SELECT date('2024-02-28', '+1 day'), date('2024-02-28', '+2 days'), date('2023-02-28', '+1 day'), "
          "datetime('2024-01-31 10:00:00', '+1 month'), time('12:34:56', '+30 minutes'), "
          "date('2024-03-15', 'start of month'), date('2024-03-15', 'start of year', '-1 day')")


def test_julianday_and_strftime():
    check("SELECT julianday('2000-01-01 12:00:00'), strftime('%Y/%m/%d %H:%M', '2024-07-04 08:09:10'), "
          "strftime('%j %w %s', '2024-03-01'), strftime('%f', '2024-01-01 00:00:01.250')")


def test_date_weekday_modifier_and_unixepoch():
    check("SELECT date('2024-05-01', 'weekday 0'), datetime(0, 'unixepoch'), unixepoch('1970-01-02'), "
          "datetime(1700000000, 'unixepoch')")


def test_invalid_dates_are_null():
    check("SELECT date('2024-13-01'), date('not a date'), date(NULL), time('25:00'), date('2024-02-30')")


def test_date_from_julian_number():
    check("SELECT date(2460000.5), datetime(2451545.0)")


def test_typeof_across_storage_classes():
    check(MIXED, "SELECT id, v, typeof(v) FROM m ORDER BY id")


def test_typeof_literals():
    check("SELECT typeof(1), typeof(1.0), typeof('1'), typeof(x'01'), typeof(NULL), typeof(1e0), "
          "typeof(-0), typeof(TRUE), typeof(9223372036854775807), typeof(9223372036854775808)")


def test_integer_overflow_to_real():
    check("SELECT 9223372036854775807 + 1, typeof(9223372036854775807 + 1), "
          "-9223372036854775808 - 1, 9223372036854775807 * 2, typeof(4611686018427387904 * 2), "
          "-(-9223372036854775808), abs(-9223372036854775807)")


def test_abs_of_min_integer_fails():
    check("SELECT abs(-9223372036854775808)")


def test_division_and_modulo():
    check("SELECT 7 / 2, -7 / 2, 7.0 / 2, 7 % 3, -7 % 3, 7 % -3, 7.5 % 2, typeof(7 / 2), "
          "'9' / '2', '9.0' / 2")


def test_division_by_zero_is_null():
    check("SELECT 1 / 0, 1.0 / 0, 1 % 0, 0 / 0, 5 / 0.0, 5 % 0.0, typeof(1 / 0)")


def test_min_integer_divided_by_minus_one():
    check("SELECT -9223372036854775808 / -1, typeof(-9223372036854775808 / -1), -9223372036854775808 % -1")


def test_arithmetic_with_text_and_null():
    check("SELECT '3' + 4, '3.5' + 1, 'abc' + 1, '12abc' * 2, NULL + 1, x'31' + 1, '' + 0, ' 5 ' + 0")


def test_real_formatting_in_text():
    check("SELECT CAST(0.1 + 0.2 AS TEXT), CAST(1e15 AS TEXT), CAST(1e16 AS TEXT), CAST(-0.0 AS TEXT), "
          "CAST(123456789.123 AS TEXT), 1.0 || '', 1e-7 || '', CAST(2.5e-300 AS TEXT)")


def test_comparison_of_mixed_types():
    check("SELECT 1 < 'a', 'a' < x'00', NULL < 1, 1 = 1.0, '1' = 1, 10 > 9, '10' > '9', x'01' = x'01', "
          "1 IS 1.0, NULL IS NULL, 1 IS NOT NULL")


def test_comparison_affinity_with_columns():
    check("CREATE TABLE t(i INTEGER, s TEXT, b)", "INSERT INTO t VALUES (10, '10', '10')",
          "SELECT i = '10', s = 10, b = 10, i < '9', s < 9, b > 9 FROM t")


def test_between_and_boolean_logic_with_null():
    check("SELECT 2 BETWEEN 1 AND 3, 2 NOT BETWEEN 2 AND 3, NULL BETWEEN 1 AND 2, "
          "NULL AND 0, NULL OR 1, NULL AND 1, NOT NULL, 0 OR NULL, 5 AND 'x'")


def test_bitwise_operators():
    check("SELECT 6 & 3, 6 | 3, ~5, 1 << 62, 1 << 64, -1 >> 1, 5 >> -1, '3' & 1")


def test_unary_and_precedence():
    check("SELECT -2 * 3 + 4, 2 + 3 * 4 - 1, (2 + 3) * 4, - - 3, +'5', -'5', 1 - -1, 2 * 3 % 4, "
          "1 = 1 = 1, 3 > 2 > 1")


def test_string_comparison_collations():
    check("SELECT 'a' = 'A', 'a' = 'A' COLLATE NOCASE, 'a ' = 'a' COLLATE RTRIM, 'B' < 'a', "
          "'B' < 'a' COLLATE NOCASE")


def test_glob_like_case_and_escape_in_where():
    check("CREATE TABLE t(s)", "INSERT INTO t VALUES ('Apple'), ('apple'), ('APPLE'), ('banana'), ('100%')",
          "SELECT s FROM t WHERE s LIKE 'apple' ORDER BY s", "SELECT s FROM t WHERE s GLOB 'A*' ORDER BY s",
          "SELECT s FROM t WHERE s LIKE '%!%' ESCAPE '!'")


def test_nested_function_calls_and_aliases_column_names():
    check("SELECT upper(substr('hello world', 1, 5)) AS greet, length(trim('  ab ')) AS n, "
          "1+1, 'x'||'y', abs( -1 )")


def test_unknown_function_fails():
    check("SELECT nosuchfunc(1)", "SELECT abs(1, 2)", "SELECT substr()")


def test_numeric_literals():
    check("SELECT 0x10, 0xFFFFFFFFFFFFFFFF, 1e2, 1E-2, .5, 5., 0x7FFFFFFFFFFFFFFF, 1e308 * 10")


def test_digit_separators_not_in_3_40():
    # "1_000" literals arrived in SQLite 3.46
    check("SELECT 1_000")


def test_blob_literal_and_zeroblob():
    check("SELECT x'', hex(zeroblob(3)), typeof(zeroblob(0)), length(zeroblob(5))")


def test_instr_and_substr_on_blobs():
    check("SELECT instr(x'010203', x'02'), hex(substr(x'01020304', 2, 2))")


def test_total_and_avg_precision():
    check("CREATE TABLE t(a REAL)", "INSERT INTO t VALUES (0.1), (0.2), (0.3)",
          "SELECT sum(a), total(a), avg(a) FROM t")


def test_string_escapes_and_quotes():
    check("SELECT 'it''s', \"no such column\" = 1")


def test_double_quoted_string_fallback():
    check("CREATE TABLE t(a)", "INSERT INTO t VALUES (1)", 'SELECT "a", "b" FROM t')


def test_parameters_of_every_type():
    check(("SELECT ?, typeof(?), ?, typeof(?), ?, typeof(?), ?, typeof(?), ?, typeof(?)",
           (1, 1, 1.5, 1.5, "s", "s", b"\x00", b"\x00", None, None)))


def test_numbered_and_named_parameters():
    check(("SELECT ?2, ?1, ?2", (10, 20)), ("SELECT :a + :b", {"a": 1, "b": 2}))


def test_wrong_parameter_count_fails():
    check(("SELECT ?, ?", (1,)), ("SELECT ?", (1, 2)))

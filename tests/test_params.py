"""Ids typed by hand: a clean id or None, never an exception."""

from __future__ import annotations

import pytest

from common.params import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (5, 5),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past bigint: names no row, must not reach PostgreSQL
        ("1" * 40, None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("١٢٣", None),  # Arabic-Indic digits: int() takes them, an id never has them
        ("1.5", None),
        ("1e3", None),
        ("a\x00b", None),
        (["1"], None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected

"""Pure functions: money arithmetic and search folding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from appliance.shop.money import split_iva, to_number
from appliance.shop.schemas import Money
from appliance.shop.text import like_patterns, search_text

money = TypeAdapter(Money)


@given(st.integers(min_value=0, max_value=10**10), st.integers(min_value=0, max_value=100), st.booleans())
def test_iva_split_always_adds_up(total, percent, included):
    subtotal, iva, grand = split_iva(total, percent, included)
    assert subtotal + iva == grand
    assert (grand == total) if included else (subtotal == total)
    assert iva >= 0


def test_iva_split_known_values():
    assert split_iva(11600, 16, True) == (10000, 1600, 11600)
    assert split_iva(10000, 16, False) == (10000, 1600, 11600)
    assert split_iva(100, 16, True) == (86, 14, 100)


@pytest.mark.parametrize(
    "given_value, centavos",
    [
        (0.1, 10),
        (19.99, 1999),
        (1234567.89, 123456789),
        ("249.50", 24950),
        (7, 700),
        (Decimal("0.01"), 1),
    ],
)
def test_money_becomes_exact_centavos(given_value, centavos):
    assert money.validate_python(given_value) == centavos


@pytest.mark.parametrize("bad", [10.005, -1, "abc", float("nan"), 10**9])
def test_money_refuses_bad_amounts(bad):
    with pytest.raises(ValueError):
        money.validate_python(bad)


@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_centavos_print_as_their_exact_two_decimal_value(centavos):
    assert Decimal(repr(to_number(centavos))) == Decimal(centavos) / 100


def test_search_folds_accents_case_and_phone_digits():
    folded = search_text("José Núñez", "55 1234-5678", None)
    assert "jose nunez" in folded
    assert "5512345678" in folded
    assert like_patterns("  NÚÑEZ   josé ") == ["%nunez%", "%jose%"]
    assert like_patterns("100%_x") == ["%100\\%\\_x%"]


def test_login_throttle_counts_pauses_locks_and_forgets():
    from appliance.security.throttle import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(max_failures=6, lock_seconds=60, clock=lambda: now[0])
    results = [throttle.failed("ana", "10.0.0.5") for _ in range(5)]
    assert [pause for _, pause in results] == [0, 0, 1.0, 1.0, 1.0]  # pauses from half the limit
    assert all(locked == 0 for locked, _ in results) and throttle.retry_after("ana", "10.0.0.5") == 0
    assert throttle.failed("ana", "10.0.0.5")[0] == 60  # the sixth locks
    assert throttle.retry_after("ana", "10.0.0.9") == 60  # the user is locked from any address
    assert throttle.retry_after("beto", "10.0.0.5") == 0  # the address is not (yet)
    now[0] += 59.5
    assert throttle.retry_after("ana", "10.0.0.5") == 1
    now[0] += 1
    assert throttle.retry_after("ana", "10.0.0.5") == 0
    assert throttle.failed("ana", "10.0.0.5") == (0, 0)  # counting starts over after a lock
    throttle.succeeded("ana", "10.0.0.5")
    assert throttle.failed("ana", "10.0.0.5") == (0, 0)


def test_login_throttle_memory_is_bounded():
    from appliance.security import throttle as module

    limited = module.LoginThrottle(max_failures=10, lock_seconds=60, clock=lambda: 0.0)
    for n in range(module.MAX_TRACKED + 50):
        limited.failed(f"usuario{n}", "10.0.0.5")
    assert len(limited._records) <= module.MAX_TRACKED


def test_a_subscriber_that_falls_behind_is_marked_without_blocking():
    from appliance.realtime import Subscriber

    subscriber = Subscriber("dueno", max_queue=3)
    for seq in range(1, 4):
        subscriber.offer((seq, f"evento {seq}"))
    subscriber.offer((4, "evento 4"))  # one too many: never blocks, drops the backlog
    subscriber.offer((5, "evento 5"))
    assert subscriber.overflowed
    assert subscriber.next(timeout=0.1) == ("overflow", None)
    assert subscriber.next(timeout=0.1) is None

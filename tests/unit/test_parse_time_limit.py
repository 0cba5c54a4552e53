"""The parse time limit holds even when its first alarm is dropped: an exception raised inside a callback that
cannot propagate it (a weakref callback during garbage collection) is printed and ignored by Python, so the
alarm fires again until the parse stops."""

from __future__ import annotations

import signal
import time

import pytest

from ingest.loader import _ParseTimeout, _time_limit


def _busy(until: float) -> None:
    while time.monotonic() < until:
        pass


def test_a_dropped_timeout_fires_again() -> None:
    dropped = False
    started = time.monotonic()
    with pytest.raises(_ParseTimeout), _time_limit(0.1):
        try:
            _busy(started + 5)
        except _ParseTimeout:
            dropped = True  # as Python does with an exception raised in a weakref callback
        _busy(started + 5)
    assert dropped
    assert time.monotonic() - started < 2.0


def test_the_timer_is_given_back_as_it_was() -> None:
    """No re-firing interval is left behind, and an outer timer (pytest-timeout's, if any) runs on."""
    before_left, before_interval = signal.getitimer(signal.ITIMER_REAL)
    with _time_limit(0.2):
        pass
    left, interval = signal.getitimer(signal.ITIMER_REAL)
    assert interval == before_interval
    assert (left == 0.0) if before_left == 0.0 else (before_left - 1.0 < left <= before_left)

"""Constructor-argument validation shared by the mask generators.

Every failure is a ``ValueError`` that starts with the component and names the parameter,
so a wrong value in a config is found without reading a traceback.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real


def _fail(owner: str, name: str, need: str, value: object) -> ValueError:
    return ValueError(f'{owner}: {name} must be {need}, got {value!r}')


def check_int(owner: str, name: str, value: object, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools are refused: ``True`` is no count)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        need = 'a positive integer' if minimum == 1 else f'an integer >= {minimum}'
        raise _fail(owner, name, need, value)
    return int(value)


def check_real(owner: str, name: str, value: object, low: float = -math.inf,
               high: float = math.inf, *, low_open: bool = False,
               high_open: bool = False) -> float:
    """A finite number in the interval ``low .. high`` (open ends as flagged)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        v = float(value)
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lb = '(' if low_open else '['
        rb = ')' if high_open else ']'
        raise _fail(owner, name, f'a number in {lb}{low}, {high}{rb}', value)
    return float(value)


def check_prob(owner: str, name: str, value: object) -> float:
    """A probability in ``[0, 1]``."""
    return check_real(owner, name, value, 0.0, 1.0)


def check_int_range(owner: str, names: tuple[str, str], low: object, high: object,
                    minimum: int = 1) -> tuple[int, int]:
    """Two integers ``minimum <= low <= high``."""
    lo = check_int(owner, names[0], low, minimum)
    hi = check_int(owner, names[1], high, minimum)
    if lo > hi:
        raise ValueError(f'{owner}: {names[0]} ({lo}) must not exceed {names[1]} ({hi})')
    return lo, hi


def check_choices(owner: str, name: str, values: object,
                  allowed: Sequence[str]) -> tuple[str, ...]:
    """A non-empty sequence of strings, each one of ``allowed``."""
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, Sequence) or not values:
        raise _fail(owner, name, f'a non-empty list of {list(allowed)}', values)
    for v in values:
        if v not in allowed:
            raise _fail(owner, name, f'a list of {list(allowed)}', values)
    return tuple(values)


def check_int_choices(owner: str, name: str, values: object, minimum: int = 1) -> tuple[int, ...]:
    """A non-empty sequence of integers ``>= minimum``."""
    if isinstance(values, Integral) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        raise _fail(owner, name, f'a non-empty list of integers >= {minimum}', values)
    return tuple(check_int(owner, name, v, minimum) for v in values)


def check_fractions(owner: str, name: str, values: object) -> tuple[float, ...]:
    """A non-empty sequence of fractions in ``(0, 1]``."""
    if isinstance(values, Real) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        raise _fail(owner, name, 'a non-empty list of numbers in (0, 1]', values)
    return tuple(check_real(owner, name, v, 0.0, 1.0, low_open=True) for v in values)


def check_pair(owner: str, name: str, value: object, low: float, high: float, *,
               low_open: bool = False) -> tuple[float, float]:
    """A number or an ``(h, w)`` pair of numbers in ``low .. high``."""
    if isinstance(value, Real) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise _fail(owner, name, f'a number or an (h, w) pair in [{low}, {high}]', value)
    return (check_real(owner, name, value[0], low, high, low_open=low_open),
            check_real(owner, name, value[1], low, high, low_open=low_open))

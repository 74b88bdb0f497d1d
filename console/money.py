"""Exact money: Decimal amounts, ISO 4217 exponents, exact JSON and display.

Nothing here ever passes an amount through binary float, and nothing is ever
rounded: an amount with more decimals than its currency allows is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, DecimalException, InvalidOperation
from functools import cache
from typing import Any

MAX_INTEGER_DIGITS = 8
"""Amounts are below 10**8 major units (100,000,000.00 USD is refused)."""

_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_PLAIN = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_SPECIAL = re.compile(r"^[+-]?(nan|snan|inf|infinity)$", re.IGNORECASE)


class AmountError(ValueError):
    """An amount or currency a merchant (or a client) gave is not acceptable."""


@cache
def _exponents() -> dict[str, int | None]:
    """ISO 4217 code -> exponent (None for gold, SDRs ...), read on first use."""
    from iso4217 import Currency

    return {currency.code: currency.exponent for currency in Currency}


@cache
def currency_exponent(code: str) -> int:
    """Number of decimals of a currency (USD 2, JPY 0, KWD 3), from ISO 4217 data."""
    normalized = code.strip().upper()
    if normalized not in _exponents():
        raise AmountError(f"Unknown currency code '{code.strip()}'")
    exponent = _exponents()[normalized]
    if exponent is None:
        raise AmountError(f"{normalized} is not a currency payments can be made in")
    return exponent


def normalize_currency(code: str) -> str:
    """Upper-case a currency code after checking it is a known payment currency."""
    currency_exponent(code)
    return code.strip().upper()


@cache
def currency_codes() -> tuple[str, ...]:
    """Every ISO 4217 code that has a minor unit, sorted."""
    return tuple(sorted(code for code, exponent in _exponents().items() if exponent is not None))


@cache
def max_exponent() -> int:
    """The most decimals any payment currency has (4, for CLF and UYW)."""
    return max(exponent for exponent in _exponents().values() if exponent is not None)


def check_bounds(amount: Decimal) -> Decimal:
    """Checks that hold whatever the currency: finite, positive, below 10**8, and no
    finer than the smallest minor unit of any currency. Return the amount unchanged."""
    if not amount.is_finite():
        raise AmountError("Amount must be a finite number")
    if amount <= 0:
        raise AmountError("Amount must be greater than zero")
    if amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise AmountError(f"Amount must be less than {10**MAX_INTEGER_DIGITS:,}")
    if significant_places(amount) > max_exponent():
        raise AmountError("Amount has more decimal places than any currency allows")
    return amount


def significant_places(amount: Decimal) -> int:
    """Decimals without trailing zeros ("5.00" -> 0, "0.010" -> 2), computed from the
    digits: unlike `normalize()`, it never rounds a tiny amount to zero or overflows."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if trailing == len(digits):  # zero
        return 0
    return max(0, -(exponent + trailing))


def check_amount(amount: Decimal, currency: str) -> Decimal:
    """Check a Decimal amount against its currency; return it unchanged."""
    exponent = currency_exponent(currency)
    if not amount.is_finite():
        raise AmountError("Amount must be a finite number")
    if amount <= 0:
        raise AmountError("Amount must be greater than zero")
    if amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise AmountError(f"Amount must be less than {10**MAX_INTEGER_DIGITS:,}")
    # Trailing zeros beyond the exponent ("5.00" JPY) are not extra precision.
    if significant_places(amount) > exponent:
        code = currency.strip().upper()
        if exponent == 0:
            raise AmountError(f"{code} has no minor unit: enter a whole amount")
        raise AmountError(f"{code} allows at most {exponent} decimal places")
    return amount


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse what a merchant typed ("1,234.50", " 19.99 ") into an exact Decimal."""
    currency_exponent(currency)
    cleaned = text.strip()
    if not cleaned:
        raise AmountError("Enter an amount")
    if _SPECIAL.match(cleaned):
        raise AmountError("Amount must be a finite number")
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = cleaned[0], cleaned[1:].strip()
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif not _PLAIN.match(cleaned):
        raise AmountError("Amount must be a number, like 19.99")
    try:
        amount = Decimal(sign + cleaned)
    except InvalidOperation:  # pragma: no cover - the patterns above exclude it
        raise AmountError("Amount must be a number, like 19.99") from None
    return check_amount(amount, currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The same value written with exactly the currency's decimals (100 -> 100.00).

    Only ever adds trailing zeros: an amount with more precision is refused.
    """
    exponent = currency_exponent(currency)
    if not amount.is_finite():
        raise AmountError("Amount must be a finite number")
    try:
        if significant_places(amount) > exponent:
            raise AmountError(f"{currency.upper()} allows at most {exponent} decimal places")
        return amount.quantize(Decimal(1).scaleb(-exponent))
    except DecimalException:
        # Beyond the decimal context's precision or exponent range (a server can send
        # anything): refused as an amount, never a decimal trap escaping as a traceback.
        raise AmountError("Amount is too large to be a payment amount") from None


def to_minor(amount: Decimal, currency: str) -> int:
    """USD 12.34 -> 1234; refuses an amount finer than the currency's minor unit."""
    exact = quantize(amount, currency)
    return int(exact.scaleb(currency_exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """1234 USD -> Decimal('12.34'), always with the currency's decimals."""
    exponent = currency_exponent(currency)
    return Decimal(units).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_amount(amount: Decimal, currency: str) -> str:
    """Display form: 'USD 1,234.50', 'JPY 1,235'."""
    code = currency.strip().upper()
    return f"{code} {quantize(amount, code):,}"


# --- exact JSON ---------------------------------------------------------------


_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_LITERALS = {None: "null", True: "true", False: "false"}


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN and Infinity cannot be written as JSON")
        out.append(format(value, "f"))
    elif value is None or isinstance(value, bool):
        out.append(_LITERALS[value])
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        raise TypeError("refusing to write a binary float as money-safe JSON; use Decimal")
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """JSON text in which every Decimal is a number with exactly its digits."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as a Decimal (never a float)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)

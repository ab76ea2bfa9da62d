"""Kubernetes resource quantities (``500m``, ``2``, ``64Gi``, ``1e3``), parsed exactly.

The grammar is the one of ``resource.ParseQuantity`` in Kubernetes' apimachinery, which the
runner uses for every ``*_request``/``*_limit`` setting and for the ``KUBERNETES_*`` job
variables that override them (``executors/kubernetes/overwrites.go``)::

    quantity ::= sign? number suffix?
    number   ::= digits | digits "." digits? | "." digits
    suffix   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | k | M | G | T | P | E
               | (e|E) sign? digits

Values are :class:`fractions.Fraction`, so comparisons are exact (``1Gi`` is ``1024Mi``,
``0.5`` is ``500m``).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

__all__ = ["parse_quantity"]

_QUANTITY = re.compile(
    r"(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<binary>[KMGTPE]i)|(?P<decimal>[numkMGTPE])|[eE](?P<exponent>[+-]?[0-9]+))?"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
#: Exponents beyond this are not quantities any cluster has; refusing them bounds the work.
_MAX_EXPONENT = 64


@functools.lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Fraction | None:
    """The value of ``text``, or ``None`` when it is not a Kubernetes quantity.

    Cached: a pipeline repeats a few values many times, and exact fractions are slow to build.
    """
    found = _QUANTITY.fullmatch(text)
    if found is None:
        return None
    value = Fraction(found["number"])
    if found["binary"]:
        value *= 2 ** _BINARY[found["binary"]]
    elif found["decimal"]:
        value *= Fraction(10) ** _DECIMAL[found["decimal"]]
    elif found["exponent"] is not None:
        exponent = int(found["exponent"])
        if abs(exponent) > _MAX_EXPONENT:
            return None
        value *= Fraction(10) ** exponent
    return -value if found["sign"] == "-" else value

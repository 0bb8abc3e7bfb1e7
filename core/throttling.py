"""Rate limits per client, for the API (DRF throttles) and the pages that take the same actions,
and the client's identity for the sign-in lockout (django-axes).

A client is its account when signed in, otherwise its address; the address itself is never kept:
the cache key holds a keyed hash of it, which expires with the limit's window, and axes stores a
made-up address derived from that hash (client_address).
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

# One IPv6 client usually holds a whole /64 and can move within it at will; counting each address
# there separately would let it escape every limit.
IPV6_CLIENT_PREFIX = 64
# fd00::/8: IPv6 unique-local addresses, never routed on the internet, so never a real client's.
_UNIQUE_LOCAL = b"\xfd"


def _network(address: str) -> str:
    """The part of the address that names the client: the address for IPv4, the /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address  # not an address (a forwarded "unknown"): still one client, as given
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def client_digest(request: Any) -> bytes:
    """A keyed hash (HMAC-SHA256 under SECRET_KEY) of the client's address as DRF finds it, which
    honours NUM_PROXIES; the same for the pages, the API and the sign-in lockout."""
    address = BaseThrottle().get_ident(request) or ""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, _network(address).encode(), hashlib.sha256).digest()


def client_address(request: Any) -> str:
    """For django-axes (AXES_CLIENT_IP_CALLABLE): the client as an address axes can store.

    axes keeps the client in a GenericIPAddressField (inet on PostgreSQL), so it must look like an
    address; this one is fd + 120 bits of client_digest, in a range no real client has. The
    database then holds no real address, and without SECRET_KEY nobody can tell which it stands for.
    """
    return str(ipaddress.IPv6Address(_UNIQUE_LOCAL + client_digest(request)[:15]))


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle with the client's address replaced by a keyed hash of it. A view
    that names no scope falls under the general "api" rate."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if not getattr(view, self.scope_attr, None):
            view.throttle_scope = "api"
        return super().allow_request(request, view)

    def get_ident(self, request: Any) -> str:
        return client_digest(request).hex()[:32]


class _PageView:
    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def throttled(request: HttpRequest, scope: str) -> int | None:
    """Count one action under the rate named `scope` in REST_FRAMEWORK's throttle rates (so a
    page and its API endpoint share one limit per client); the seconds to wait once the client
    is over it, else None."""
    throttle = ClientRateThrottle()
    if throttle.allow_request(request, _PageView(scope)):
        return None
    return int(throttle.wait() or 60)


def wait_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many tries from here in a short time. Please wait about %(n)d minute and try again.",
        "Too many tries from here in a short time. Please wait about %(n)d minutes and try again.",
        minutes,
    ) % {"n": minutes}


View = Callable[..., HttpResponseBase]


def rate_limited(scope: str) -> Callable[[View], View]:
    """Limit a page's POSTs to the rate named `scope` (see throttled)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and (wait := throttled(request, scope)):
                context = {"message": wait_message(wait)}
                response = render(request, "core/rate_limited.html", context, status=429)
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate

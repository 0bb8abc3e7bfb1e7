"""Rate limits per client, for the API (DRF throttles) and the pages that take the same actions.

A client is its account when signed in, otherwise its address; the address itself is never kept:
the cache key holds a keyed hash of it, which expires with the limit's window.
"""

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.throttling import ScopedRateThrottle


def no_address(request: HttpRequest) -> None:
    """For django-axes: sign-in failures are counted per account, never stored with an address."""
    return None


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle with the client's address replaced by a keyed hash of it. A view
    that names no scope falls under the general "api" rate."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if not getattr(view, self.scope_attr, None):
            view.throttle_scope = "api"
        return super().allow_request(request, view)

    def get_ident(self, request: Any) -> str:
        address = super().get_ident(request) or ""
        key = str(settings.SECRET_KEY).encode()
        return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


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

"""The project's addresses (core.urls) plus one bench-only endpoint, served only under
bench.settings_bench: `bench-trivial/`, the cheapest request DRF can answer with the project's
defaults, the yardstick bench/http_load.py measures the real endpoints against."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.urls import urlpatterns as project_urlpatterns


class TrivialView(APIView):
    """No query of its own: only what every API request pays — the middleware, knox's token
    lookup, IsAuthenticated and the "api" throttle (all the project's REST_FRAMEWORK defaults,
    none overridden here), and JSON rendering."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench-trivial/", TrivialView.as_view(), name="bench_trivial"),
    *project_urlpatterns,
]

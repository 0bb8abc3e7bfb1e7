from django.conf import settings
from django.http import HttpRequest


def recourse(request: HttpRequest) -> dict[str, object]:
    return {"QUICK_EXIT_URL": settings.RECOURSE_QUICK_EXIT_URL}

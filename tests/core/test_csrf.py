"""Browsers under `Referrer-Policy: no-referrer` send `Origin: null` on every form POST."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _login_page_post(client: Client, **headers: str):
    client.get(reverse("core:login"))
    token = client.cookies["csrftoken"].value
    return client.post(
        reverse("core:login"),
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token},
        **headers,
    )


def test_a_same_origin_post_with_a_null_origin_passes_the_csrf_check():
    client = Client(enforce_csrf_checks=True)
    response = _login_page_post(client, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200  # the login form, with its error, not a CSRF 403


def test_a_cross_site_post_with_a_null_origin_is_refused():
    client = Client(enforce_csrf_checks=True)
    response = _login_page_post(client, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_a_null_origin_without_fetch_metadata_is_refused():
    client = Client(enforce_csrf_checks=True)
    assert _login_page_post(client, HTTP_ORIGIN="null").status_code == 403


def test_a_same_origin_post_still_needs_the_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("core:login"),
        {"username": "nobody", "password": "wrong"},
        HTTP_ORIGIN="null",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 403

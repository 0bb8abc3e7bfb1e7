"""The admin site's pages that belong to no app of ours. Accounts are in support.admin (their
changes go through support's services); django-q2's pages are in core.task_admin."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core import task_admin  # noqa: F401  (django-q2's admin pages, read-only)

# django-otp's own admin pages show device secrets; nobody here may read another's secret.
# knox's would let someone make a token for another account and sign in as them. Groups would
# be another way to grant powers: what an account may do follows its role (core.backends).
for model in (TOTPDevice, StaticDevice, AuthToken, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

"""django-q2's admin pages, made read-only.

django-q2 lets its admin add and edit schedules (any dotted name becomes a function the cluster
calls), edit queued tasks and resubmit finished ones. Here each of its pages only shows: the
queue, the schedules, the successes and the failures can be listed and opened, never added,
changed, deleted or resubmitted. Schedules are made by `manage.py setup_schedules` alone. This
module is imported by core.admin, which Django loads after django_q's admin module, so django_q's
registrations are there to replace."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success


class _ReadOnly:
    # No actions at all: django-q2's "resubmit" runs a task again, and "delete selected" deletes.
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScheduleAdmin(_ReadOnly, q_admin.ScheduleAdmin):
    pass


class SuccessAdmin(_ReadOnly, q_admin.TaskAdmin):
    pass


class FailureAdmin(_ReadOnly, q_admin.FailAdmin):
    pass


class QueueAdmin(_ReadOnly, q_admin.QueueAdmin):
    pass


for model, model_admin in (
    (Schedule, ScheduleAdmin),
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (OrmQ, QueueAdmin),
):
    # OrmQ's page exists only with the ORM broker (django_q.admin decides); keep it that way.
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)

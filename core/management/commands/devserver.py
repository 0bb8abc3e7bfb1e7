"""Run the web server and the task cluster side by side for development, and stop both together."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Command(BaseCommand):
    help = "Start runserver and the django-q2 cluster together (debug only); Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("devserver is for development; run gunicorn and qcluster instead.")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        stopping: list[int] = []
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda number, frame: stopping.append(number))
        # Own sessions: a terminal's Ctrl-C reaches only this process, which then stops each
        # child in order, so the cluster can finish its tasks and stop its workers cleanly.
        commands = [[*manage, "qcluster"], [*manage, "runserver", "--noreload", addrport]]
        children = [subprocess.Popen(cmd, start_new_session=True) for cmd in commands]  # noqa: S603
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in reversed(children):
                self._stop(child)

    @staticmethod
    def _stop(child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)  # any worker left behind

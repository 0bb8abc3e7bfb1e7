"""gunicorn settings for Recourse in production (see docs/operations.md).

    gunicorn --config deploy/gunicorn.conf.py core.wsgi:application

Under systemd the listening socket comes from recourse-web.socket, and `bind` below is not used.
Numbers can be changed without editing this file: GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_TIMEOUT.
"""

import os

wsgi_app = "core.wsgi:application"
proc_name = "recourse-web"

# Only the reverse proxy talks to gunicorn: loopback when started by hand, otherwise the unix
# socket that systemd hands over (recourse-web.socket, which only the proxy's user may open).
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Threads, so that a slow client uploading evidence straight through the proxy (which does not
# buffer request bodies, so no plaintext lands on its disk) holds one thread, not a whole process,
# and is not killed by the worker timeout. Each thread keeps one database connection open
# (CONN_MAX_AGE), so a host uses up to workers x threads connections.
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, _cpus + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A worker that shows no sign of life for this long is restarted. Requests themselves finish in
# well under a second; password hashing (Argon2id, 64 MiB) takes about a tenth of one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, spread out, so that no slow leak grows without bound.
max_requests = 2000
max_requests_jitter = 200

# No control socket: gunicorn would otherwise create one under the service user's home.
control_socket_disable = True

# No access log: its lines carry client addresses, and reporters' addresses are never logged.
# Errors go to stderr, which systemd's journal keeps; Django's own log lines are redacted.
accesslog = None
errorlog = "-"
loglevel = "info"

# X-Forwarded-Proto is believed only from the proxy (loopback, or the unix socket, which gunicorn
# always trusts). Django reads the same header (SECURE_PROXY_SSL_HEADER); the client's address
# comes from X-Forwarded-For with RECOURSE_PROXY_COUNT=1.
forwarded_allow_ips = "127.0.0.1,::1"
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Files gunicorn creates (a unix socket when bound to one) are for the owner and group only.
umask = 0o007

"""django-q2's admin pages, made read-only (filled in by the task allow-list work)."""

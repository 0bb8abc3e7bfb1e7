from django.contrib.auth.hashers import Argon2PasswordHasher


class RecourseArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, 64 MiB, three passes (about 0.1 s): slow for guessing, fine for signing in."""

    time_cost = 3
    memory_cost = 64 * 1024
    parallelism = 1

from core.hashers import RecourseArgon2PasswordHasher


class FastArgon2PasswordHasher(RecourseArgon2PasswordHasher):
    """Argon2id still, with costs low enough for a test suite."""

    time_cost = 1
    memory_cost = 256

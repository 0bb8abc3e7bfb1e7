"""PostgreSQL as Django runs it, with bulk writes split into statements that can be bound.

With parameters bound on the server (the default; see RECOURSE_DB_PREPARED_STATEMENTS in the
settings) one statement carries at most 65,535 of them. Django's PostgreSQL backend does not
split bulk_create, bulk_update or the deletion collector's batches by that count, since binding
on the client has no such limit; here the batch size is capped as Django caps it for the
databases that have one.
"""

from typing import Any

from django.db.backends.postgresql import base, features, operations

MAX_QUERY_PARAMS = 2**16 - 1  # what the protocol's count of parameters holds


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = MAX_QUERY_PARAMS


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if not fields:
            return len(objs)
        return max(1, MAX_QUERY_PARAMS // len(fields))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

"""A data directory (PGDATA) as a source: pg_control, filenode maps, pg_xact, pg_multixact,
relation files found by relfilenode. Bytes and metadata only; decoding lives in decode/."""

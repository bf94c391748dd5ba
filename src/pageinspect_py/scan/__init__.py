"""Relation-wide work on the page kernel: bounded chunks of pages as numpy arrays, worker
processes over block ranges, and the hand-off of irregular pages to the per-page decoder."""

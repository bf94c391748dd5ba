"""Meaning: typed models built from the layouts. Construct containers stop here."""

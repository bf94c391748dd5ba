"""Use cases: what a command does, as functions returning typed reports.

``cli.py`` declares options and calls these; ``render/`` turns their reports into text or JSON.
Nothing here prints, parses arguments or imports click, textual or psycopg at module level.
"""

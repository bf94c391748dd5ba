"""Every SQL statement of pageinspect_py, by domain, and the one place that picks variants.

* :mod:`.server` -- the server, its extensions, and :func:`~.server.choose_variants`, the
  only function that looks at version numbers: every query whose text differs between
  versions takes the :class:`~.server.Variants` it returns;
* :mod:`.pages` -- what reading and decoding pages needs: relations, forks, raw pages (one
  or a run of blocks), tuple descriptors, TOAST chunk locations, index key ordering;
* :mod:`.advice` -- what the layout advisor measures: table facts, samples of stored sizes,
  ``pg_stats``, ``pgstattuple``, the ``--verify`` scratch tables;
* :mod:`.definitions` -- what a rebuild in another column order must carry over (the
  catalog behind ``layout-advice --sql``).

Conventions (DESIGN.md, 7):

* one small typed function per statement, taking a psycopg ``Connection`` and returning a
  frozen dataclass built by ``class_row`` (a one-field dataclass for a single value), through
  :func:`.run.one`, :func:`.run.optional` or :func:`.run.many`;
* values only as parameters (``%s::regclass``), identifiers only through
  :class:`psycopg.sql.Identifier`; catalog objects are schema-qualified (``pg_catalog.``) so
  that a user's search_path cannot shadow them;
* psycopg errors pass through unchanged: turning them into :mod:`pageinspect_py.errors` is
  the caller's job (``sources/live*.py``), because only the caller knows what was asked for.

To add a query: declare its row dataclass in the module of its domain, write a function that
calls :func:`.run.one` or :func:`.run.many`, cite in its docstring the PostgreSQL behaviour
it relies on, and if it differs between versions add a field to :class:`.server.Variants`
and set it in :func:`.server.choose_variants`.
"""

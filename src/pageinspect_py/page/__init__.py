"""The kernel: pure functions over page bytes, below every decoder.

Everything here works on bytes (one page) or on arrays of pages (numpy) and knows nothing of
models, spans or messages:

* :mod:`.raw` -- ``RawPage``, ``Fork`` and the ``PageSource`` protocol every source implements;
* :mod:`.checksum` -- PostgreSQL's page checksum, one page or many at once;
* :mod:`.rules` -- the page header, line pointer and heap tuple header readers and the validity
  rules, returning diagnostic *codes* (``decode/`` turns a code into a diagnostic with a span
  and a sentence; a bulk path turns it into "hand this page to the full decoder");
* :mod:`.arrays` -- the same readers and rules over many pages at once (numpy), with dtypes
  derived from the construct layouts.
"""

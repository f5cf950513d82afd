"""The suite mirrors ``src/contacthub``: a module's tests are found by its path.

- ``tests/<feature>/`` for each feature folder: ``accounts/`` (keys and auth, the account CLI),
  ``contacts/``, ``lists/`` (lists and list membership), ``tags/`` (tags and a contact's tags),
  ``messages/``, ``idempotency/``, ``core/`` (phone normalisation, and the rules of ``core``).
- Top level, for what belongs to no one feature: the top-level modules' own tests
  (``test_errors.py`` for ``errors.py`` and the app's error handlers, ``test_ratelimit.py``,
  ``test_operations.py`` for the app's health, readiness and metrics), the rules every module must
  follow (``test_architecture.py``), the README and its settings (``test_readme.py``), and the
  whole-system tests: races, SIGKILL crashes, load, schemathesis fuzzing (``test_races.py``,
  ``test_crash.py``, ``test_load_races.py``, ``test_fuzz.py``).
- Support, not tests: ``conftest.py`` (a real SQLite and PostgreSQL database, clients per
  account), ``factories.py`` (test data through the production code paths, and every helper
  shared by more than one file: row counts, page walks, tag listings, ``assert_error``),
  ``server.py`` (a real ``contacthub serve`` process, for the tests marked ``slow``) and
  ``reliability.py`` (the figures of the reliability tests).
"""

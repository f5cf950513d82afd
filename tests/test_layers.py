"""Dependencies point one way: the layers of docs/architecture.md, checked on every import.

In the spirit of polar's ``scripts/linters``: the source is parsed (not imported) and every
``import`` of a ``contacthub`` module is checked, at module level or inside a function alike.

- ``core`` imports only ``core`` and ``errors``: no feature, nothing above it.
- A ``repository.py`` imports only ``contacthub.models`` and ``contacthub.core``.
- A ``schemas.py`` imports only ``core``, ``errors`` and other features' schemas.
- An ``endpoints.py`` imports its own feature's service, any feature's schemas, ``core``,
  ``errors``, and ``accounts.auth`` (the principal dependency).
- A ``service.py`` calls another feature's service, repository or outbox only where ``ALLOWED``
  says so (``events.outbox`` is where every change records its event).
- The packages (each feature, ``core``, ``models``, ``errors``, ``api``, ``app``…) form no cycle.
"""

import ast
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import contacthub

SOURCE = Path(contacthub.__file__).parent
ROOT = "contacthub"

# A service reaching into another feature, and why: (importer, imported) → reason.
ALLOWED = {
    ("contacts.service", "accounts.service"): (
        "a number without its country code is read in the account's default country"
    ),
    ("contacts.search", "accounts.service"): (
        "a q that is a whole national number is read in the account's default country"
    ),
    ("tags.service", "accounts.service"): (
        "tagging by phone reads the number in the account's default country"
    ),
    ("contacts.service", "tags.service"): (
        "create and upsert tag the new contact in their transaction, by the tag rules"
    ),
    ("lists.service", "contacts.search"): "a list's member page is a contact search by list",
    ("contacts.service", "idempotency.repository"): (
        "erasure forgets the stored idempotent answers that name the contact, in its transaction"
    ),
    ("lists.service", "contacts.repository"): (
        "membership writes lock the contacts first (many: in id order) and mark them changed"
    ),
    ("messages.service", "contacts.service"): "a message needs its contact (or the contact 404)",
    ("messages.service", "contacts.repository"): "an inbound message opens the chat window",
    ("worker.service", "webhooks.service"): (
        "the worker runs the deliveries: dispatch, claim and settle, each in its own transaction"
    ),
    ("worker.service", "events.service"): "the worker runs the events' retention sweep",
    ("webhooks.service", "events.repository"): (
        "dispatch selects the events an endpoint subscribes to by the feed's one type filter"
    ),
    # The outbox (events/outbox.py): every change records its event where it is made.
    ("contacts.events", "events.outbox"): "contact created/updated/deleted, member_added",
    ("contacts.events", "events.service"): "erasing a contact redacts its earlier events",
    ("lists.service", "events.outbox"): "list created/updated/deleted and member_added/removed",
    ("tags.service", "events.outbox"): "contact tagged/untagged, tag updated/deleted",
    ("messages.service", "events.outbox"): "message.created",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importer, without the leading "contacthub."
    target: str  # the imported module, without the leading "contacthub."
    line: int

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports contacthub.{self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, str]:
    return {
        _module_name(path): path.read_text()
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations/versions" not in str(path)
    }


def imports(sources: Mapping[str, str]) -> Iterator[Import]:
    """Every import of a contacthub module, function-level ones too."""
    for module, text in sources.items():
        package = module if _is_package(module, sources) else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the importer's package
                    anchor = f"{ROOT}.{package}".rstrip(".").split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # "from contacthub.contacts import service" imports the module contacts.service.
                names = [
                    f"{base}.{alias.name}"
                    if _strip(f"{base}.{alias.name}") in sources
                    or (SOURCE / _strip(f"{base}.{alias.name}").replace(".", "/")).exists()
                    else base
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                if name == ROOT or name.startswith(ROOT + "."):
                    yield Import(module, _strip(name), node.lineno)


def _strip(name: str) -> str:
    return name.removeprefix(ROOT).removeprefix(".")


def _is_package(module: str, sources: Mapping[str, str]) -> bool:
    return any(other.startswith(module + ".") for other in sources) or module == ""


def _package(module: str) -> str:
    return module.split(".")[0] or ROOT


def _features(sources: Mapping[str, str]) -> set[str]:
    packages = {name.split(".")[0] for name in sources if "." in name}
    return packages - {"core", "models", "migrations"}


def _under(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


# A feature's service layer: service.py and the modules it is split into (events.py records the
# service's events, search.py is the contacts' search).
SERVICE_LAYER = ("service", "events", "search")


def _broken_rule(imp: Import, features: set[str]) -> str | None:
    """The rule this import breaks, if any."""
    module, target = imp.module, imp.target
    feature, _, layer = module.partition(".")
    # The imported module's layer when it is in the importer's own package, else None.
    own = target.partition(".")[2] if _package(module) == _package(target) else None
    if _under(module, "core"):
        if not _under(target, "core", "errors"):
            return "core imports only core and errors"
        return None
    if feature not in features or "." in layer:
        return None
    if layer == "repository":
        if not _under(target, "models", "core"):
            return "a repository imports only contacthub.models and contacthub.core"
    elif layer == "schemas":
        if not (_under(target, "core", "errors") or target.endswith(".schemas")):
            return "schemas import only core, errors and other features' schemas"
    elif layer == "endpoints":
        if not (
            _under(target, "core", "errors", "accounts.auth")
            or target.endswith(".schemas")
            or own in SERVICE_LAYER
        ):
            return (
                "an endpoint imports only its own service, schemas, core, errors and accounts.auth"
            )
    elif layer in SERVICE_LAYER:
        other_feature = _package(target) in features and own is None
        if (
            other_feature
            and target.rpartition(".")[2] in (*SERVICE_LAYER, "repository", "endpoints", "outbox")
            and (module, target) not in ALLOWED
        ):
            return "a service calls another feature's service or repository only as ALLOWED lists"
        if _under(target, "api", "app", "cli") or own == "endpoints":
            return "a service imports no routes"
    return None


def violations(sources: Mapping[str, str]) -> list[str]:
    """Every import that breaks a layer rule, and every cycle between packages."""
    features = _features(sources)
    found: list[str] = []
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports(sources):
        rule = _broken_rule(imp, features)
        if rule is not None:
            found.append(f"{imp}: {rule}")
        source, target = _package(imp.module), _package(imp.target)
        if source != target:
            edges.setdefault(source, {}).setdefault(target, imp)
    found.extend(_cycles(edges))
    return found


def _cycles(edges: dict[str, dict[str, Import]]) -> list[str]:
    """Each cycle between packages, named by the imports that close it."""
    found: list[str] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            loop = [*path[path.index(node) :], node]
            steps = [str(edges[a][b]) for a, b in itertools.pairwise(loop)]
            found.append(f"packages import each other: {' → '.join(loop)} ({'; '.join(steps)})")
            return
        if node in done:
            return
        for target in edges.get(node, {}):
            visit(target, [*path, node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])
    return found


def test_imports_follow_the_layers() -> None:
    problems = violations(_sources())
    assert not problems, "\n".join(problems)


def test_every_allowed_reach_is_still_made() -> None:
    made = {(imp.module, imp.target) for imp in imports(_sources())}
    for pair, reason in ALLOWED.items():
        assert pair in made, f"{pair} ({reason}) is no longer imported: delete its entry"


def test_a_violation_names_the_module_and_the_import() -> None:
    # The checker itself, on made-up modules: one breaking each rule, and two forming a cycle.
    sources = {
        "": "",
        "core.paging": "def page():\n    from contacthub.contacts import service\n",
        "contacts.repository": "from contacthub.tags.service import attach\n",
        "contacts.service": "import contacthub.tags.repository\n",
        "contacts.endpoints": "from contacthub.contacts import repository\n",
        "tags.endpoints": "from contacthub.contacts.endpoints import router\n",
        "tags.service": "",
        "tags.repository": "",
    }
    problems = violations(sources)
    expected = [
        "core.paging (line 2) imports contacthub.contacts.service: core imports only",
        "contacts.repository (line 1) imports contacthub.tags.service: a repository imports only",
        "contacts.service (line 1) imports contacthub.tags.repository: a service calls another",
        "contacts.endpoints (line 1) imports contacthub.contacts.repository: an endpoint imports",
        "tags.endpoints (line 1) imports contacthub.contacts.endpoints: an endpoint imports",
        "packages import each other: contacts → tags → contacts",
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)
    assert violations({"": "", "core.paging": "from contacthub.core import clock\n"}) == []

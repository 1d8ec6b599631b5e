"""The arrows point down (docs/architecture.md): each module of recur imports only its own package
and the layers below it, never one above, so that no task, picture or face leaks into the math."""

import ast
from pathlib import Path

import recur

SOURCE = Path(recur.__file__).parent

# bottom to top: a package imports only from earlier rows (and within itself)
LAYERS = [
    {"errors", "atomic", "modes", "state", "machine", "assets"},
    {"checks"},
    {"cells", "reference"},
    {"recurrent", "data"},
    {"models"},
    {"generate", "train"},
    {"analysis"},
    {"viz"},
    {"tasks"},
    {"explain", "serve"},
    {"cli_flags"},
    {"cli_viz", "cli_serve", "cli_explain"},
    {"cli", "__init__"},
    {"__main__"},  # python -m recur, as torchrun's -m recur starts each rank
]
LAYER_OF = {name: row for row, names in enumerate(LAYERS) for name in names}


def package_of(path: Path) -> str:
    return path.relative_to(SOURCE).parts[0].removesuffix(".py")


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        for name in names:
            parts = name.split(".")
            if parts[0] == "recur":
                found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


def test_every_package_has_a_layer():
    packages = {package_of(p) for p in SOURCE.rglob("*.py")}
    assert packages <= set(LAYER_OF), f"put these in LAYERS (and docs/architecture.md): {packages - set(LAYER_OF)}"


def test_imports_point_down():
    upward = []
    for path in SOURCE.rglob("*.py"):
        own = package_of(path)
        for other in imported_packages(path) - {own}:
            if LAYER_OF[other] >= LAYER_OF[own]:
                upward.append(f"{path.relative_to(SOURCE)} imports recur.{other}")
    assert not upward, "\n".join(sorted(upward))

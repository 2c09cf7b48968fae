"""List the functions in ``src/`` longer than a limit (60 lines by default).

    python scripts/long_functions.py [--max 60]

Exits 1 when one is found, so ``.ci/run`` can keep the engine's shape."""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def long_functions(root: Path, limit: int) -> list[tuple[str, int, str, int]]:
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append((str(path), node.lineno, node.name, n))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=60)
    parser.add_argument("root", nargs="?", default="src")
    args = parser.parse_args()
    found = long_functions(Path(args.root), args.max)
    for path, line, name, n in found:
        print(f"{path}:{line}: {name} has {n} lines (limit {args.max})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

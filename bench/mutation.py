"""Mutation testing of the domain modules, each against its own fast tests, with a floor per module.

    python bench/mutation.py                      # every module of bench/mutation_floors.json
    python bench/mutation.py workflow.py clauses.py
    python bench/mutation.py --check              # exit 1 when a module scores below its floor
    python bench/mutation.py --changed origin/main --check   # only the modules changed since a commit

mutmut 3 mutates functions (module-level data tables are not mutated: those have explicit tests,
e.g. tests/test_workflow.py pins the transition table). Each module runs in a scratch copy of the
working tree, so the checkout is never touched. Prints one JSON object: per module the number of
mutants, killed (a test failed or timed out), survived (no test noticed), the score and its floor.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = Path(__file__).with_name("mutation_floors.json")
# Top-level entries a test run may import or read; everything else of the tree is left out.
_SKIP = {".git", "instance", "mutants", "__pycache__", ".pytest_cache"}


def load_floors() -> dict[str, dict]:
    return json.loads(FLOORS.read_text(encoding="utf-8"))


def _project_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line and line.split("/")[0] not in _SKIP]


def _scratch_copy(target: Path) -> None:
    for name in _project_files():
        source = ROOT / name
        if source.is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)


def _config(module: str, tests: list[str], top_level: list[str]) -> str:
    def block(items: list[str]) -> str:
        return "".join(f"\n    {item}" for item in items)

    return ("[mutmut]\n"
            f"source_paths ={block([module])}\n"
            f"pytest_add_cli_args_test_selection ={block(tests)}\n"
            "pytest_add_cli_args =\n    -q\n    -p\n    no:cacheprovider\n"
            f"also_copy ={block(top_level)}\n")


def run_module(module: str, tests: list[str], *, max_children: int) -> dict:
    """Mutate one module against its tests; the counts mutmut reports."""
    with tempfile.TemporaryDirectory(prefix="passerelle-mutation-") as tmp:
        work = Path(tmp)
        _scratch_copy(work)
        top_level = sorted({p.name for p in work.iterdir()} - {"setup.cfg", "mutants"})
        (work / "setup.cfg").write_text(_config(module, tests, top_level), encoding="utf-8")
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
                             cwd=work, capture_output=True, text=True)
        if run.returncode != 0:
            tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
            raise SystemExit(f"mutmut a échoué sur {module} : " + " | ".join(tail))
        subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=work, check=True,
                       capture_output=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    # A mutant that makes the tests hang or crash was noticed; one without tests was not.
    killed = stats["killed"] + stats["timeout"] + stats["segfault"]
    tested = stats["total"] - stats["skipped"]
    return {"mutants": stats["total"], "killed": killed, "survived": tested - killed,
            "score": round(killed / tested, 4) if tested else 1.0, "seconds": round(time.monotonic() - started, 1)}


def changed_modules(base: str, floors: dict[str, dict]) -> list[str]:
    """Modules whose file or tests changed since ``base``."""
    out = subprocess.run(["git", "diff", "--name-only", base, "--"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    touched = set(out)
    return [m for m, spec in floors.items() if m in touched or touched & set(spec["tests"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: every module with a floor)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a score falls below its floor")
    parser.add_argument("--changed", metavar="BASE", help="only the modules changed since this commit")
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args(argv)
    floors = load_floors()
    unknown = [m for m in args.modules if m not in floors]
    if unknown:
        print(f"Module sans plancher dans {FLOORS.name} : {', '.join(unknown)}", file=sys.stderr)
        return 2
    modules = args.modules or list(floors)
    if args.changed:
        modules = [m for m in modules if m in changed_modules(args.changed, floors)]
    report, below = {}, []
    for module in modules:
        result = run_module(module, floors[module]["tests"], max_children=args.max_children)
        result["floor"] = floors[module]["floor"]
        report[module] = result
        if result["score"] < result["floor"]:
            below.append(module)
    print(json.dumps({"modules": report, "below_floor": below}, ensure_ascii=False, indent=2))
    if args.check and below:
        print("Score de mutation sous le plancher : " + ", ".join(below), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

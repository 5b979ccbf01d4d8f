"""Command line: ``python -m matching map|rank|check-taxonomy``.

A thin wrapper: it parses files, calls the library and turns its errors into
one-line French messages with exit code 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .index import DEFAULT_TOP, MatchIndex
from .mapping import SkillMapper
from .model import InputError, Profile, need_from_dict, profile_from_dict
from .taxonomy import TaxonomyError, load_taxonomy

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A one-line message for the user; the command exits with code 2."""


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _mapper(args: argparse.Namespace) -> SkillMapper:
    return SkillMapper(load_taxonomy(args.taxonomy))


def _read_json(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path} : lecture impossible ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{path} : le fichier n'est pas en UTF-8") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}:{exc.lineno} : JSON invalide ({exc.msg})") from exc
    except RecursionError:
        raise CliError(f"{path} : JSON trop imbriqué (des milliers de crochets ouverts)") from None


def read_candidates(path: str) -> list[Profile]:
    """Read a JSONL file of profiles; any bad line stops with its file and line number."""
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path} : lecture impossible ({exc.strerror or exc})") from exc
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    profile = profile_from_dict(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise CliError(f"{path}:{number} : JSON invalide ({exc.msg})") from exc
                except RecursionError:
                    raise CliError(f"{path}:{number} : JSON trop imbriqué") from None
                except InputError as exc:
                    raise CliError(f"{path}:{number} : {exc}") from exc
                if profile.id in seen:
                    raise CliError(f"{path}:{number} : identifiant « {profile.id} » déjà vu ligne {seen[profile.id]}")
                seen[profile.id] = number
                profiles.append(profile)
        except UnicodeDecodeError as exc:
            raise CliError(f"{path} : le fichier n'est pas en UTF-8") from exc
    return profiles


def _map(args: argparse.Namespace) -> int:
    _dump(_mapper(args).map(args.text).to_dict())
    return 0


def _rank(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise CliError("--top doit être un entier positif")
    try:
        need = need_from_dict(_read_json(args.need))
    except InputError as exc:
        raise CliError(f"{args.need} : {exc}") from exc
    candidates = read_candidates(args.candidates)
    index = MatchIndex.build(candidates, _mapper(args))
    results = index.rank(need, top=args.top)
    _dump({"need": need.id, "results": [m.to_dict() for m in results]})
    return 0


def _referential(args: argparse.Namespace):
    """The ROME folder given (or its parent folder holding rome_v*), loaded; None without --referential."""
    from .rome import RomeError, load_referential

    if not args.referential:
        return None
    directory = Path(args.referential)
    candidates = sorted(directory.glob("rome_v*")) if directory.is_dir() else []
    if candidates and not list(directory.glob("unix_referentiel_code_rome_v*_utf8.csv")):
        directory = candidates[-1]
    try:
        return load_referential(directory)
    except RomeError as exc:
        raise CliError(str(exc)) from exc


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CliError(f"{path} : lecture impossible ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{path} : le fichier n'est pas en UTF-8") from exc


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _job(args: argparse.Namespace) -> int:
    from .rome import TitleMapper

    titles = _lines(args.titles)
    mapper = _mapper(args)
    referential = _referential(args)
    if referential is not None:
        for match in TitleMapper(referential, mapper).map_many(titles):
            _emit(match.to_dict())
        return 0
    # Bundled métiers: the taxonomy's own, with their ROME code where known.
    for title, hit in zip(titles, mapper.map_titles(titles)):
        metier = mapper.taxonomy.metiers[hit.id] if hit else None
        _emit({"text": title, "code": metier.rome if metier else None, "appellation": None,
               "label": metier.label if metier else None, "score": round(hit.score, 1) if hit else 0.0})
    return 0


def read_profiles(path: str) -> list[Profile]:
    """A JSON object, a JSON list, or JSONL of profiles in the format of ``rank``."""
    text = "\n".join(_lines(path))
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
        return [profile_from_dict(item) for item in items]
    except json.JSONDecodeError:
        return read_candidates(path)
    except RecursionError:
        raise CliError(f"{path} : JSON trop imbriqué") from None
    except InputError as exc:
        raise CliError(f"{path} : {exc}") from exc


def _suggest(args: argparse.Namespace) -> int:
    from .careers import suggest_bundled
    from .rome import CareerSuggester

    if args.top < 1:
        raise CliError("--top doit être un entier positif")
    profiles = read_profiles(args.profiles)
    mapper = _mapper(args)
    referential = _referential(args)
    suggester = CareerSuggester(referential, mapper) if referential is not None else None
    for profile in profiles:
        results = (suggester.suggest(profile, top=args.top) if suggester
                   else suggest_bundled(profile, mapper, top=args.top))
        _emit({"profile": profile.id, "results": [r.to_dict() for r in results]})
    return 0


def _check_taxonomy(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.directory or args.taxonomy)
    _dump(taxonomy.stats())
    for warning in taxonomy.warnings:
        print(f"attention : {warning}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching", description="Moteur de rapprochement Passerelle")
    parser.add_argument("--taxonomy", default=None, help="dossier de taxonomie (par défaut : data/taxonomy)")
    sub = parser.add_subparsers(dest="command", required=True)

    map_cmd = sub.add_parser("map", help="montre comment un texte libre est compris")
    map_cmd.add_argument("text")
    map_cmd.set_defaults(func=_map)

    rank_cmd = sub.add_parser("rank", help="classe des candidats pour un besoin")
    rank_cmd.add_argument("need", metavar="NEED.json")
    rank_cmd.add_argument("candidates", metavar="CANDIDATES.jsonl")
    rank_cmd.add_argument("--top", type=int, default=DEFAULT_TOP)
    rank_cmd.set_defaults(func=_rank)

    job_cmd = sub.add_parser("job", help="intitulés de poste saisis → métier et appellation ROME")
    job_cmd.add_argument("titles", metavar="TITLES", help="fichier texte, un intitulé par ligne")
    job_cmd.add_argument("--referential", default=None, help="dossier du ROME 4.0 (CSV)")
    job_cmd.set_defaults(func=_job)

    suggest_cmd = sub.add_parser("suggest", help="pistes de métiers pour des profils")
    suggest_cmd.add_argument("profiles", metavar="PROFILES", help="objet JSON ou fichier JSONL de profils")
    suggest_cmd.add_argument("--top", type=int, default=DEFAULT_TOP)
    suggest_cmd.add_argument("--referential", default=None, help="dossier du ROME 4.0 (CSV)")
    suggest_cmd.set_defaults(func=_suggest)

    check = sub.add_parser("check-taxonomy", help="vérifie la taxonomie et affiche ses chiffres")
    check.add_argument("directory", nargs="?", default=None)
    check.set_defaults(func=_check_taxonomy)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, TaxonomyError) as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:  # input nested beyond what any reader was told to expect
        print("erreur : entrée trop imbriquée", file=sys.stderr)
        return EXIT_BAD_INPUT

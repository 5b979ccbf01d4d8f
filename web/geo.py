"""Postcode → commune and coordinates, from the bundled ``data/geo/communes.csv``."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

COMMUNES_CSV = Path(__file__).resolve().parent.parent / "data" / "geo" / "communes.csv"


@dataclass(frozen=True)
class Commune:
    postcode: str
    city: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def _communes() -> dict[str, tuple[Commune, ...]]:
    by_postcode: dict[str, list[Commune]] = {}
    with COMMUNES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            commune = Commune(row["postcode"], row["city"], float(row["lat"]), float(row["lon"]))
            by_postcode.setdefault(commune.postcode, []).append(commune)
    return {k: tuple(v) for k, v in by_postcode.items()}


def communes(postcode: str) -> tuple[Commune, ...]:
    """Communes sharing a postcode (several for some rural postcodes), empty if unknown."""
    return _communes().get((postcode or "").strip(), ())


def locate(postcode: str, city: str | None = None) -> Commune | None:
    """The commune for a postcode, disambiguated by city name when the postcode has several."""
    found = communes(postcode)
    if not found:
        return None
    if city:
        for commune in found:
            if commune.city.casefold() == city.strip().casefold():
                return commune
    return found[0]


# -- départements: the territory of a diagnostic and of a shared employer network ----------------
DEPARTEMENTS_CSV = Path(__file__).resolve().parent.parent / "data" / "geo" / "departements.csv"


@lru_cache(maxsize=1)
def departements() -> dict[str, str]:
    """Code ("93", "2A", "974") → name of every French département."""
    with DEPARTEMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def departement(postcode: str | None) -> str | None:
    """The département of a postcode: "93100" → "93", "20200" → "2B", "97411" → "974"; None if unknown."""
    code = (postcode or "").strip()
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("20"):
        # Corsica: postcodes 200xx–201xx are Corse-du-Sud, the others Haute-Corse.
        return "2A" if int(code) < 20200 else "2B"
    found = code[:3] if code.startswith("97") else code[:2]
    return found if found in departements() else None


def normalise_departement(value: str) -> str | None:
    """A département code as typed ("93", "2a", "1" for 01, "974") → its code, or None if there is none."""
    code = (value or "").strip().upper()
    if code.isdigit() and len(code) == 1:
        code = code.zfill(2)
    return code if code in departements() else None


def commune_by_name(name: str) -> Commune | None:
    """A commune by its name (accents and case ignored), for a "radius around a commune" territory."""
    wanted = _fold(name)
    if not wanted:
        return None
    for found in _communes().values():
        for commune in found:
            if _fold(commune.city) == wanted:
                return commune
    return None


def _fold(text: str | None) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", (text or "").strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").replace("'", " ")

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

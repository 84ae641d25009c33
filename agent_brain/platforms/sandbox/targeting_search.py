"""`GET /search`: Graph's targeting search, as the sandbox answers it.

Meta resolves places and interests to targeting keys through the root `search` node
(`type=adgeolocation` with `q` and `location_types`, `type=adinterest` with `q`); an ad set's
`geo_locations.cities` then names a city by that `key`. The sandbox answers from a small fixed
table (cities of the demo's markets and a few dental interests) in Graph's response shape, matching
`q` against the English and the local name, case-insensitively, by prefix of any word.
"""

from __future__ import annotations

import json
from typing import Any

from agent_brain.platforms.sandbox.graph_format import GraphAPIError, invalid_parameter

# key, English name, local name, type, country code, country, region, region id
_PLACES: tuple[tuple[str, str, str, str, str, str, str, int], ...] = (
    ("2020946", "Kazan", "Казань", "city", "RU", "Russia", "Tatarstan", 3079),
    ("2029043", "Moscow", "Москва", "city", "RU", "Russia", "Moscow", 3071),
    ("2028923", "Saint Petersburg", "Санкт-Петербург", "city", "RU", "Russia", "Saint Petersburg", 3076),
    ("2022102", "Novosibirsk", "Новосибирск", "city", "RU", "Russia", "Novosibirsk Oblast", 3066),
    ("2019771", "Yekaterinburg", "Екатеринбург", "city", "RU", "Russia", "Sverdlovsk Oblast", 3078),
    ("2021877", "Nizhny Novgorod", "Нижний Новгород", "city", "RU", "Russia", "Nizhny Novgorod Oblast", 3064),
    ("2023514", "Sochi", "Сочи", "city", "RU", "Russia", "Krasnodar Krai", 3058),
    ("2025481", "Krasnodar", "Краснодар", "city", "RU", "Russia", "Krasnodar Krai", 3058),
    ("1566139", "Almaty", "Алматы", "city", "KZ", "Kazakhstan", "Almaty", 2281),
    ("1566172", "Astana", "Астана", "city", "KZ", "Kazakhstan", "Astana", 2282),
    ("RU", "Russia", "Россия", "country", "RU", "Russia", "", 0),
    ("KZ", "Kazakhstan", "Казахстан", "country", "KZ", "Kazakhstan", "", 0),
)
_INTERESTS: tuple[tuple[str, str, str, int], ...] = (
    ("6003384248805", "Cosmetic dentistry", "Косметическая стоматология", 41_000_000),
    ("6003106420475", "Dentistry", "Стоматология", 180_000_000),
    ("6003161475030", "Orthodontics", "Ортодонтия", 22_000_000),
    ("6003139266461", "Beauty", "Красота", 950_000_000),
    ("6002991239659", "Teeth whitening", "Отбеливание зубов", 18_000_000),
)


def _matches(query: str, *names: str) -> bool:
    q = query.casefold().strip()
    return any(n.casefold().startswith(q) or any(w.startswith(q) for w in n.casefold().replace("-", " ").split())
               for n in names)


def _location_types(params: dict[str, str]) -> set[str]:
    raw = params.get("location_types")
    if not raw:
        return {"country", "region", "city"}
    try:
        value = json.loads(raw)
    except ValueError:
        value = [v.strip() for v in raw.split(",")]
    return {str(v) for v in (value if isinstance(value, list) else [value])}


def search(params: dict[str, str]) -> dict[str, Any]:
    """The `data` of a `GET /search` for geo locations or interests (Graph's field names)."""
    kind = params.get("type")
    query = params.get("q", "")
    if kind not in ("adgeolocation", "adinterest"):
        raise invalid_parameter("type must be one of adgeolocation, adinterest (sandbox)", field="type")
    if not query.strip():
        raise GraphAPIError("(#100) Missing q parameter", code=100)
    limit = int(params.get("limit", "25"))
    if kind == "adinterest":
        data = [{"id": i, "name": en, "audience_size_lower_bound": int(size * 0.85), "audience_size_upper_bound": size,
                 "path": ["Interests", en], "topic": "Health & wellness"}
                for i, en, local, size in _INTERESTS if _matches(query, en, local)]
        return {"data": data[:limit]}
    types = _location_types(params)
    data = []
    for key, en, local, type_, cc, country, region, region_id in _PLACES:
        if type_ in types and _matches(query, en, local):
            item: dict[str, Any] = {"key": key, "name": en if query.isascii() else local, "type": type_,
                                    "country_code": cc, "country_name": country,
                                    "supports_region": True, "supports_city": type_ == "city"}
            if type_ == "city":
                item.update(region=region, region_id=region_id)
            data.append(item)
    return {"data": data[:limit]}

"""Meta's Marketing API reference, as the sandbox validates against it.

`graph_reference.json` is generated from the official `facebook-business` SDK (its node
`Field` classes, `_field_types`, and the parameter types and enums of each request it builds),
so the sandbox accepts what Graph accepts without hand-copied lists. Regenerate it after
bumping the SDK (a dev dependency; the conformance suite checks the file is current):

    python -m agent_brain.platforms.sandbox.reference > agent_brain/platforms/sandbox/graph_reference.json
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).with_name("graph_reference.json")

# sandbox object type → SDK class (module, name)
NODE_CLASSES = {
    "adaccount": ("adaccount", "AdAccount"),
    "campaign": ("campaign", "Campaign"),
    "adset": ("adset", "AdSet"),
    "ad": ("ad", "Ad"),
    "adcreative": ("adcreative", "AdCreative"),
    "customaudience": ("customaudience", "CustomAudience"),
    "adspixel": ("adspixel", "AdsPixel"),
    "adimage": ("adimage", "AdImage"),
    "adreportrun": ("adreportrun", "AdReportRun"),
    "user": ("user", "User"),
}
# (node type, edge, method) → SDK request builder on that node's class
EDGE_REQUESTS = {
    ("adaccount", "campaigns", "POST"): "create_campaign",
    ("adaccount", "adsets", "POST"): "create_ad_set",
    ("adaccount", "ads", "POST"): "create_ad",
    ("adaccount", "adcreatives", "POST"): "create_ad_creative",
    ("adaccount", "customaudiences", "POST"): "create_custom_audience",
    ("adaccount", "adimages", "POST"): "create_ad_image",
    ("adaccount", "campaigns", "GET"): "get_campaigns",
    ("adaccount", "adsets", "GET"): "get_ad_sets",
    ("adaccount", "ads", "GET"): "get_ads",
    ("adaccount", "adcreatives", "GET"): "get_ad_creatives",
    ("adaccount", "customaudiences", "GET"): "get_custom_audiences",
    ("adaccount", "adspixels", "GET"): "get_ads_pixels",
    ("adaccount", "adimages", "GET"): "get_ad_images",
    ("adaccount", "insights", "GET"): "get_insights",
    ("adaccount", "insights", "POST"): "get_insights_async",
    ("adaccount", "delivery_estimate", "GET"): "get_delivery_estimate",
    ("adaccount", "generatepreviews", "GET"): "get_generate_previews",
    ("adaccount", "reachestimate", "GET"): "get_reach_estimate",
    ("adaccount", "minimum_budgets", "GET"): "get_minimum_budgets",
    ("campaign", "adsets", "GET"): "get_ad_sets",
    ("campaign", "ads", "GET"): "get_ads",
    ("campaign", "copies", "POST"): "create_copy",
    ("campaign", "insights", "GET"): "get_insights",
    ("campaign", "insights", "POST"): "get_insights_async",
    ("adset", "ads", "GET"): "get_ads",
    ("adset", "insights", "GET"): "get_insights",
    ("adset", "insights", "POST"): "get_insights_async",
    ("adset", "delivery_estimate", "GET"): "get_delivery_estimate",
    ("ad", "insights", "GET"): "get_insights",
    ("ad", "insights", "POST"): "get_insights_async",
    ("ad", "previews", "GET"): "get_previews",
    ("adcreative", "previews", "GET"): "get_previews",
    ("customaudience", "users", "POST"): "create_user",
    ("adspixel", "stats", "GET"): "get_stats",
    ("adreportrun", "insights", "GET"): "get_insights",
    ("user", "adaccounts", "GET"): "get_ad_accounts",
}


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE_FILE.read_text())


def node(type_: str) -> dict[str, Any]:
    return reference()["nodes"][type_]


def edge_params(type_: str, edge: str, method: str) -> dict[str, dict[str, Any]] | None:
    """The parameters Graph documents for a request, or None when the SDK has no such request."""
    return reference()["edges"].get(f"{type_} {method} {edge}")


def insights_fields() -> dict[str, str]:
    return reference()["insights_fields"]


def insights_filter_operators() -> list[str]:
    return reference()["insights_filter_operators"]


def version() -> str:
    return reference()["api_version"]


# ── generation (needs the facebook-business SDK) ────────────────────────────────────────────


def _params(checker: Any) -> dict[str, dict[str, Any]]:
    # An SDK enum is a class's __dict__ values: keep the members, not `__module__` and friends.
    enums = {name: sorted(v for v in values if isinstance(v, str) and not v.startswith("facebook_business."))
             for name, values in checker._enum_data.items()}
    out: dict[str, dict[str, Any]] = {}
    for name, type_ in sorted(checker._type_check_info.items()):
        spec: dict[str, Any] = {"type": type_}
        inner = re.sub(r"^list<(.*)>$", r"\1", type_)
        if inner in enums:
            spec["enum"] = enums[inner]
        out[name] = spec
    return out


def build() -> dict[str, Any]:
    import importlib

    from facebook_business import apiconfig
    from facebook_business.adobjects.adsinsights import AdsInsights
    from facebook_business.api import FacebookAdsApi

    FacebookAdsApi.init(access_token="reference", crash_log=False)
    nodes: dict[str, Any] = {}
    edges: dict[str, Any] = {}
    for type_, (module, name) in NODE_CLASSES.items():
        cls = getattr(importlib.import_module(f"facebook_business.adobjects.{module}"), name)
        instance = cls("act_1" if type_ == "adaccount" else "1")
        entry: dict[str, Any] = {"class": name, "fields": dict(sorted(cls._field_types.items()))}
        if hasattr(instance, "api_update"):
            entry["update"] = _params(instance.api_update(pending=True)._param_checker)
        nodes[type_] = entry
        for (node_type, edge, method), builder in EDGE_REQUESTS.items():
            if node_type == type_:
                request = getattr(instance, builder)(pending=True)
                edges[f"{node_type} {method} {edge}"] = _params(request._param_checker)
    return {
        "source": f"facebook-business {apiconfig.ads_api_config['SDK_VERSION']}",
        "api_version": apiconfig.ads_api_config["API_VERSION"],
        "nodes": nodes,
        "edges": edges,
        "insights_fields": dict(sorted(AdsInsights._field_types.items())),
        "insights_filter_operators": sorted(
            v for k, v in vars(AdsInsights.Operator).items() if not k.startswith("__") and isinstance(v, str)),
    }


if __name__ == "__main__":
    print(json.dumps(build(), indent=1, ensure_ascii=False))

"""Issue 16, previews: Meta gives an iframe page, not an image. «Покажи превью объявления …» answers with the
sandbox's preview link for the placement and says plainly that no image can be made offline."""

from __future__ import annotations

from typing import Any

from turns import final_text, new_conversation, turn


async def test_ad_preview_is_an_honest_link(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="plan")
    events = await turn(orch, user, conv, "как выглядит объявление Голливудская улыбка в СПб в сторис")
    assert next(e for e in events if e["type"] == "classified")["domain"] == "creative"
    result = next(e for e in events if e["type"] == "tool_result" and e.get("tool") == "getAdPreview")["result"]
    assert result["image"] is None and result["format"] == "INSTAGRAM_STORY"
    assert result["preview_link"].startswith("https://sandbox.local/preview/")
    assert "ad_format=INSTAGRAM_STORY" in result["preview_link"]
    text = final_text(events)
    assert result["preview_link"] in text and "не картинка" in text
    assert not any(e["type"] == "approval_required" for e in events)  # a read, nothing to approve

    # Any Cyrillic makes the answer Russian, and the demo's ads have Russian names: in English, by the ad's id.
    ads = await product["meta"].list_ads(account_id="act_100200300400")
    ad_id = next(a.id for a in ads if a.name == "Белоснежная улыбка")
    english = final_text(await turn(orch, user, await new_conversation(orch, user),
                                    f"show me the desktop preview of the ad {ad_id}"))
    assert "not an image" in english and "ad_format=DESKTOP_FEED_STANDARD" in english
    unknown = final_text(await turn(orch, user, conv, "Покажи превью объявления «Нет такого»"))
    assert "Уточните объявление" in unknown

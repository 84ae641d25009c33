"""Issue 16, creatives from uploads: an image uploaded on the web goes to the ad library through the write path;
the chat then plans a creative + ad from it (validated, previewed), and the approved plan creates them paused."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

Api = Any

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


async def test_upload_then_a_creative_ad_by_chat(api: Api) -> None:
    writes = api.writes
    up = await api.http.post("/api/brain/uploads/images", headers=api.auth,
                             files={"file": ("smile.png", PNG, "image/png")})
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["verified"] is True and len(body["hash"]) == 32 and api.writes == writes + 1
    again = await api.http.post("/api/brain/uploads/images", headers=api.auth,
                                files={"file": ("smile.png", PNG, "image/png")})
    assert again.json()["hash"] == body["hash"]
    bad = await api.http.post("/api/brain/uploads/images", headers=api.auth,
                              files={"file": ("x.png", b"GIF89a not an image we take", "image/png")})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_image"
    assert (await api.http.post("/api/brain/uploads/images", files={"file": ("a.png", PNG, "image/png")})
            ).status_code == 401

    message = ("Создай объявление из загруженной картинки в адсете Москва 25-45: текст «Имплантация за 1 день без "
               "боли», заголовок «Имплант за 1 день», ссылка https://clinic.example/implant, кнопка «Записаться»")
    reply = await api.http.post("/api/brain/chat/message", headers=api.auth, json={"message": message, "mode": "auto"})
    data = reply.json()
    plan = data["plan"]
    assert plan is not None, data["text"]
    [step] = plan["steps"]
    assert step["action"] == "createCreativeAd"
    params = step["params"]
    assert (params["imageHash"], params["headline"], params["callToAction"], params["link"]) == \
        (body["hash"], "Имплант за 1 день", "SIGN_UP", "https://clinic.example/implant")
    preview = next((e.get("result") or {}) for e in data["events"]
                   if e.get("type") == "tool_result" and (e.get("result") or {}).get("preview_html"))
    # Meta's preview is an iframe page: the answer gives its link and says it is not an image.
    assert preview["preview_link"].startswith("https://sandbox.local/preview/")
    assert preview["preview_link"] in preview["message"] and "не картинка" in preview["message"]
    run = await api.http.post("/api/brain/chat/execute", headers=api.auth, json={"planId": plan["id"]})
    assert run.status_code == 200, run.text
    await api.idle()
    async with api.runtime.engine.connect() as conn:
        action = (await conn.execute(text("SELECT status, response FROM ai_actions WHERE tool = 'createCreativeAd'"))
                  ).one()
        creative = (await conn.execute(text("SELECT media_type, status FROM creatives WHERE title = :t"),
                                       {"t": "Имплант за 1 день"})).one()
    assert action.status == "verified" and tuple(creative) == ("image", "paused")
    ad = await api.runtime.meta.client.get(action.response["ad_id"], {"fields": "status,adset_id"})
    assert ad["status"] == "PAUSED"
    assert uuid.UUID(plan["id"])

"""Uploads: an image for ads goes into the user's ad account library (through the write path); the chat
then makes a creative and an ad from it («создай объявление из загруженной картинки …»)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from agent_brain.agents.creative.ads import MAX_IMAGE_BYTES, upload_ad_image
from agent_brain.tools.registry import ToolError
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import ERRORS, ApiModel

router = APIRouter(prefix="/api/brain/uploads", tags=["uploads"], responses=ERRORS)


class ImageOut(ApiModel):
    hash: str
    name: str
    verified: bool


@router.post("/images", status_code=201)
async def upload_image(user: CurrentUser, runtime: RuntimeDep, lang: Lang,
                       file: Annotated[UploadFile, File(description="JPG or PNG, up to 8 MB")]) -> ImageOut:
    content = await file.read(MAX_IMAGE_BYTES + 1)
    ctx = await runtime.orchestrator.context_for(user.id, language=lang)
    try:
        out = await upload_ad_image(ctx, content, name=(file.filename or "image")[:200])
    except ToolError as exc:
        raise ApiError(422, exc.code, text=exc.message) from exc
    return ImageOut(hash=out["hash"], name=out["name"], verified=out["verified"])

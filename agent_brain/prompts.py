"""Versioned system prompts, one Markdown file each in prompts/ (e.g. prompts/ads-v1.md).

The file name is the version recorded on every run (`ai_runs.prompt_version`), so a prompt change
is a new file and runs stay comparable.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from agent_brain.config import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"


@dataclass(frozen=True)
class Prompt:
    id: str  # "ads-v1"
    text: str

    @property
    def version(self) -> str:
        return self.id


@functools.cache
def load_prompt(prompt_id: str) -> Prompt:
    path = PROMPTS_DIR / f"{prompt_id}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt {prompt_id!r} not found at {path}")
    return Prompt(prompt_id, path.read_text(encoding="utf-8").strip())

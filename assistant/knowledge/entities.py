"""The entity registry (`corpus/entities.yaml`): the companies, plants, mines, deposits, agencies, programmes, places,
products and policies the corpus discusses, with their other names and a one-sentence summary.

Only the model and the loader live here; matching a question against names and aliases is the caller's job.
The format is written out in docs/corpus-guide.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import LoadError

Kind = Literal["company", "plant", "mine", "deposit", "agency", "programme", "place", "product", "policy",
               "organisation"]
SITE_KINDS = ("plant", "mine", "deposit")  # places that someone owns and runs
PRODUCER_KINDS = ("company", *SITE_KINDS)  # what makes or holds rare earths, with figures of its own


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntitySource(_Strict):
    """The passage a summary rests on: a document id and the text of one of its headings."""

    doc: str = Field(min_length=1)
    section: str = Field(min_length=1)


class Entity(_Strict):
    name: str = Field(min_length=1)
    kind: Kind
    aliases: tuple[str, ...] = ()
    country: str | None
    docs: tuple[str, ...] = Field(min_length=1)
    summary: str = Field(min_length=1)
    source: EntitySource

    @field_validator("name", "summary")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if v != v.strip() or "\n" in v:
            raise ValueError("must be one line without surrounding spaces")
        return v

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not a.strip() or a != a.strip() for a in v):
            raise ValueError("aliases must be non-empty and without surrounding spaces")
        return v

    @field_validator("summary")
    @classmethod
    def _sentence(cls, v: str) -> str:
        if not v.endswith("."):
            raise ValueError("summary must be one sentence ending with a full stop")
        return v

    @model_validator(mode="after")
    def _source_is_a_doc(self) -> Entity:
        if self.source.doc not in self.docs:
            raise ValueError(f"source doc {self.source.doc} is not among docs")
        if len(set(self.docs)) != len(self.docs):
            raise ValueError("docs must not repeat")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by every alias."""
        return (self.name, *self.aliases)


def load_entities(path: Path) -> list[Entity]:
    """Read and validate the registry; a malformed file raises LoadError with a one-line reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoadError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise LoadError(str(path), f"not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(raw, list):
        raise LoadError(str(path), "expected a YAML list of entities")
    entities: list[Entity] = []
    for i, item in enumerate(raw):
        try:
            entities.append(Entity.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "entry"
            label = f" ({item['name']})" if isinstance(item, dict) and item.get("name") else ""
            raise LoadError(str(path), f"entity {i + 1}{label}: {where}: {err['msg']}") from None
    return entities

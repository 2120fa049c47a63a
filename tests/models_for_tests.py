"""Tiny models referenced as 'models_for_tests:NAME' by the CLI tests (tests/ is on sys.path)."""

from __future__ import annotations

import torch
from torch import nn


class TinyCnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


def tiny_cnn() -> tuple[nn.Module, torch.Tensor]:
    return TinyCnn(), torch.randn(2, 3, 16, 16)


def tiny_cnn_module() -> nn.Module:
    return TinyCnn()


class BigActivations(nn.Module):
    """64 MiB of activations per item: a GPU search under a small memory fraction meets OOMs.

    The matrix product makes every process that runs it hold a cuBLAS workspace, as real
    models do, so a probe in a fresh process and the curve in the test process see the same
    fixed memory (a process that has used cuBLAS keeps ~33 MiB allocated for it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Linear(256, 256)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mix(x).repeat(1, 1 << 16).sum(dim=1)


def big_activations() -> tuple[nn.Module, torch.Tensor]:
    return BigActivations(), torch.randn(2, 256)


class NanModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float("nan")


def nan_model() -> tuple[nn.Module, torch.Tensor]:
    return NanModel(), torch.randn(1, 4)


class OomModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
            "you tried to allocate 1099511627776 bytes."
        )


def oom_model() -> tuple[nn.Module, torch.Tensor]:
    return OomModel(), torch.randn(1, 4)


def text_model() -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Keyword inputs with integer ids and a mask, like a transformer."""

    class Bag(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.EmbeddingBag(100, 8)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.emb(input_ids * attention_mask)

    ids = torch.randint(0, 100, (2, 12))
    return Bag(), {"input_ids": ids, "attention_mask": torch.ones(2, 12, dtype=torch.long)}


def broken_factory() -> nn.Module:
    raise ValueError("weights file missing")


NOT_CALLABLE = 3

"""Tiny models referenced as 'models_for_tests:NAME' by the CLI tests (tests/ is on sys.path)."""

from __future__ import annotations

import os

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


class EvalOnly(nn.Module):
    """Conv, BatchNorm1d, dropout, linear: fails unless called as a measurement must call it.

    In training mode BatchNorm1d raises at batch 1 and dropout changes the output, so the
    forward refuses training mode outright. With INFERTIME_TEST_EXPECT="THREADS,DTYPE,LAYOUT"
    (e.g. "1,torch.bfloat16,channels_last") it also refuses other thread counts, input dtypes
    and memory layouts; child processes inherit the variable, so they are checked too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            raise RuntimeError("EvalOnly was called in training mode")
        expect = os.environ.get("INFERTIME_TEST_EXPECT")
        if expect:
            threads, dtype, layout = expect.split(",")
            if torch.get_num_threads() != int(threads):
                raise RuntimeError(f"EvalOnly ran with {torch.get_num_threads()} threads")
            if str(x.dtype) != dtype:
                raise RuntimeError(f"EvalOnly got {x.dtype} inputs")
            channels_last = x.is_contiguous(memory_format=torch.channels_last)
            if (layout == "channels_last") != channels_last or x.is_contiguous() == channels_last:
                raise RuntimeError(f"EvalOnly got inputs in the wrong layout for {layout}")
        y = self.norm(self.conv(x).mean(dim=(2, 3)))
        return self.head(self.drop(y))


def eval_only() -> tuple[nn.Module, torch.Tensor]:
    return EvalOnly(), torch.randn(1, 3, 8, 8)


class Misbehaving(nn.Module):
    """A tiny model that misbehaves at its Nth call, as INFERTIME_TEST_FAULT says:
    "sigint:N", "sigterm:N", "exit:N" (sys.exit(3)), "interrupt:N" (KeyboardInterrupt),
    "nan:N" (NaN output from then on), "print" (prints on every call), "sleep:S" (each call
    sleeps S seconds). Child processes inherit the variable; INFERTIME_TEST_MARKER, if set, is
    a file each process that builds the model appends its pid to."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.head = nn.Linear(4, 4)
        marker = os.environ.get("INFERTIME_TEST_MARKER")
        if marker:
            with open(marker, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import signal
        import sys
        import time

        self.calls += 1
        fault, _, arg = os.environ.get("INFERTIME_TEST_FAULT", "").partition(":")
        at = int(arg) if arg.isdigit() else 0
        if fault == "sigint" and self.calls == at:
            os.kill(os.getpid(), signal.SIGINT)
        elif fault == "sigterm" and self.calls == at:
            os.kill(os.getpid(), signal.SIGTERM)
        elif fault == "exit" and self.calls >= at:
            sys.exit(3)
        elif fault == "interrupt" and self.calls >= at:
            raise KeyboardInterrupt
        elif fault == "print":
            print(f"call {self.calls}")
        elif fault == "sleep":
            time.sleep(float(arg))
        out = self.head(x)
        if fault == "nan" and self.calls >= at:
            out = out * float("nan")
        return out


def misbehaving() -> tuple[nn.Module, torch.Tensor]:
    return Misbehaving(), torch.randn(1, 4)


class FailsAboveBatch4(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 4:
            raise ValueError("cannot handle more than 4 items")
        return x * 2


def fails_above_batch_4() -> tuple[nn.Module, torch.Tensor]:
    return FailsAboveBatch4(), torch.randn(1, 4)


def factory_prints() -> tuple[nn.Module, torch.Tensor]:
    """A factory that prints without a newline while it builds the model (a progress line)."""
    print("loading the model...", end="")
    return TinyCnn(), torch.randn(1, 3, 16, 16)

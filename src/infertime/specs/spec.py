"""What is measured, in one frozen, JSON-able type used by the API, the CLI, child processes and
result files; and the keyword options the public functions accept to build it.

torch-free: a spec is checked before anything slow (zoo import, model build) happens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from ..errors import ConfigError, option
from .flags import flag_meta, parse_int, parse_shape, parse_switch, parse_threads, show_shape

DTYPES = ("fp32", "fp16", "bf16")
# "cuda-graph": the eager call captured once in a CUDA graph and replayed (launches removed).
BACKENDS = ("eager", "compile", "onnxruntime", "cuda-graph")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune")
MODEL_PREFIXES = ("timm:", "torchvision:", "hf:", "onnx:")
DEFAULT_MODEL = "timm:efficientnet_b0"
SEED_LIMIT = 2**64  # torch.Generator.manual_seed takes seeds below this
MODEL_HELP = (
    "timm:NAME, torchvision:NAME, hf:TYPE or hf:./dir (a config.json), onnx:FILE.onnx, or "
    "package.module:callable"
)


def _words(values: tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}"


@dataclass(frozen=True)
class WorkloadSpec:
    """The model, its inputs, numeric format, backend, device and threads.

    Before preparation `batch_size` None means "the model's own" (its example's batch, else 1)
    and `device` may be "auto"; a prepared model's spec has both resolved and `model` set to
    the reference it was built from ("module:Name" for a module passed in). A throughput
    measurement varies the batch, so its spec has `batch_size` None.

    Each field's metadata holds its command-line `Flag` (workload/flags.py): the one source of
    the CLI options, the compare-configuration parser and configuration names.
    """

    model: str = field(default=DEFAULT_MODEL, metadata=flag_meta("MODEL", MODEL_HELP))
    batch_size: int | None = field(
        default=None,
        metadata=flag_meta(
            "--batch-size", "Items per call.", parse=parse_int("--batch-size"), short="-b",
            metavar="N",
        ),
    )  # fmt: skip
    input_shape: tuple[int, ...] | None = field(  # per item, without the batch dimension
        default=None,
        metadata=flag_meta(
            "--input-shape",
            "Per-item input shape C,H,W (default: the zoo's).",
            parse=parse_shape,
            show=show_shape,
            metavar="C,H,W",
        ),
    )
    seq_len: int | None = field(  # hf: token models; None: 128
        default=None,
        metadata=flag_meta(
            "--seq-len", "Tokens per item for hf: token models (default 128).",
            parse=parse_int("--seq-len"), metavar="N",
        ),
    )  # fmt: skip
    hf_config: tuple[str, ...] = field(  # hf: models, "key=value" changes to the config
        default=(),
        metadata=flag_meta(
            "--hf-config",
            "Change an hf: model's config, key=value (repeatable), e.g. num_hidden_layers=4.",
            metavar="KEY=VALUE",
            repeatable=True,
        ),
    )
    backend: str = field(  # how the model runs
        default="eager",
        metadata=flag_meta(
            "--backend",
            f"How the model runs: {_words(BACKENDS)} (torch.compile; ONNX Runtime, CPU; "
            "the eager call replayed from a CUDA graph).",
            metavar="NAME",
        ),
    )
    compile_mode: str | None = field(  # torch.compile mode; None: "default"
        default=None,
        metadata=flag_meta(
            "--compile-mode", f"torch.compile mode: {_words(COMPILE_MODES)}.", metavar="MODE"
        ),
    )
    dynamic: bool = field(  # torch.compile with dynamic shapes (one compile for every batch)
        default=False,
        metadata=flag_meta(
            "--dynamic",
            "torch.compile with dynamic shapes (one compile).",
            parse=parse_switch,
            takes_value=False,
        ),
    )
    dtype: str = field(
        default="fp32", metadata=flag_meta("--dtype", f"{_words(DTYPES)}.", metavar="DTYPE")
    )
    autocast: bool = field(  # True: keep fp32 weights and run under torch.autocast(dtype)
        default=False,
        metadata=flag_meta(
            "--autocast",
            "Use torch.autocast instead of casting the model.",
            parse=parse_switch,
            takes_value=False,
        ),
    )
    channels_last: bool = field(
        default=False,
        metadata=flag_meta(
            "--channels-last",
            "Channels-last memory format.",
            parse=parse_switch,
            takes_value=False,
        ),
    )
    device: str = field(
        default="auto",
        metadata=flag_meta("--device", "auto, cpu, cuda or cuda:N.", metavar="DEVICE", shared=True),
    )
    threads: int | None = field(  # torch intra-op threads; None: torch's default
        default=None,
        metadata=flag_meta(
            "--threads",
            "torch intra-op threads; auto: the cores other processes left free.",
            parse=parse_threads, metavar="N|auto", shared=True,
        ),
    )  # fmt: skip
    seed: int = field(
        default=0,
        metadata=flag_meta(
            "--seed", "Seed of the random inputs.", parse=parse_int("--seed"), metavar="N"
        ),
    )

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError(f"a model reference must be a non-empty string, got {self.model!r}")
        if self.batch_size is not None:
            _whole(option("batch_size"), self.batch_size, 1)
        if isinstance(self.dtype, str) and self.dtype.lower() in DTYPES:
            object.__setattr__(self, "dtype", self.dtype.lower())  # FP16 and BF16 as written
        if self.dtype not in DTYPES:
            raise ConfigError(
                f"{option('dtype')} must be one of {', '.join(DTYPES)}, got {self.dtype!r}"
            )
        if self.autocast and self.dtype == "fp32":
            raise ConfigError(f"{option('autocast')} needs {option('dtype')} fp16 or bf16")
        if self.threads == "auto":  # type: ignore[comparison-overlap]  # free cores (host.py)
            from ..host import free_cores

            object.__setattr__(self, "threads", free_cores())
        if self.threads is not None:
            _whole(option("threads"), self.threads, 1)
        _whole(option("seed"), self.seed, 0, SEED_LIMIT)
        shape = self.input_shape
        if shape is not None and (
            not shape or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape)
        ):
            raise ConfigError(
                f"{option('input_shape')} needs positive integers such as 3,224,224, got {shape}"
            )
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"{option('backend')} must be one of {', '.join(BACKENDS)}, got {self.backend!r}"
            )
        if self.backend != "compile":
            for key, given in (("compile_mode", self.compile_mode), ("dynamic", self.dynamic)):
                if given:
                    raise ConfigError(
                        f"{option(key)} applies to {option('backend')} compile, not to "
                        f"{self.backend}"
                    )
        if self.model.strip().startswith("onnx:") and self.backend == "eager":
            # An ONNX file runs only in ONNX Runtime: the backend follows from the reference.
            object.__setattr__(self, "backend", "onnxruntime")
        if self.model.strip().startswith("onnx:") and self.backend != "onnxruntime":
            raise ConfigError(
                f"{self.model} is an ONNX file: it runs with {option('backend')} onnxruntime"
            )
        if self.backend == "onnxruntime":
            for key, given in (
                ("dtype", self.dtype != "fp32"),
                ("channels_last", self.channels_last),
            ):
                if given:
                    raise ConfigError(
                        f"{option('backend')} onnxruntime measures fp32 models in their own "
                        f"layout here: leave out {option(key)}"
                    )
        if self.compile_mode is not None and self.compile_mode not in COMPILE_MODES:
            raise ConfigError(
                f"{option('compile_mode')} must be one of {', '.join(COMPILE_MODES)}, got "
                f"{self.compile_mode!r}"
            )
        if isinstance(self.hf_config, str):  # one pair, or a list from JSON or a dict
            object.__setattr__(self, "hf_config", (self.hf_config,))
        elif isinstance(self.hf_config, list):
            object.__setattr__(self, "hf_config", tuple(self.hf_config))
        hf = self.model.strip().startswith("hf:")
        if self.seq_len is not None:
            _whole(option("seq_len"), self.seq_len, 1)
        for hf_key, hf_given in (("seq_len", self.seq_len), ("hf_config", self.hf_config)):
            if hf_given and not hf:
                raise ConfigError(f"{option(hf_key)} applies to hf: models, not to {self.model}")
        if not isinstance(self.hf_config, tuple) or not all(
            isinstance(p, str) and "=" in p for p in self.hf_config
        ):
            raise ConfigError(
                f"{option('hf_config')} takes key=value pairs, got {self.hf_config!r}"
            )
        if not isinstance(self.device, str):
            raise ConfigError(f"device must be a name such as cuda:0, got {self.device!r}")

    @property
    def dtype_label(self) -> str:
        if self.dtype == "fp32":
            return "fp32"
        return f"{self.dtype} ({'autocast' if self.autocast else 'model cast'})"

    def with_overrides(self, options: Mapping[str, Any]) -> WorkloadSpec:
        """A copy with the given fields replaced (the public functions' keyword options)."""
        changes = dict(options)
        if changes.get("input_shape") is not None:
            changes["input_shape"] = _shape(changes["input_shape"])
        if isinstance(changes.get("hf_config"), str):
            changes["hf_config"] = (changes["hf_config"],)
        elif changes.get("hf_config") is not None:
            changes["hf_config"] = tuple(changes["hf_config"])
        return replace(self, **changes)


def _whole(name: str, value: Any, low: int, below: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < below:
        bound = f">= {low}" if below == math.inf else f"from {low} to 2^64 - 1"
        raise ConfigError(f"{name} must be an integer {bound}, got {value!r}")


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ConfigError(
            f"input_shape must be a sequence of sizes such as (3, 224, 224): {value!r}"
        )
    return tuple(value)


class WorkloadOptions(TypedDict, total=False):
    """Keyword options of every measure_* function that say what is measured.

    `device` also takes a Device object (e.g. infertime.FakeDevice in tests); the spec records
    its name.
    """

    device: Any  # str | Device
    batch_size: int | None
    input_shape: Sequence[int] | None
    dtype: str
    autocast: bool
    channels_last: bool
    threads: int | str | None  # "auto": the cores other processes left free
    seed: int
    seq_len: int | None
    hf_config: Sequence[str]
    backend: str
    compile_mode: str | None
    dynamic: bool


WORKLOAD_OPTION_NAMES = frozenset(WorkloadOptions.__annotations__)


def split_options(
    options: Mapping[str, Any], allowed: frozenset[str], function: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(workload options, the rest), refusing names `function` does not take, as Python would."""
    unknown = sorted(set(options) - allowed - WORKLOAD_OPTION_NAMES)
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    workload = {k: v for k, v in options.items() if k in WORKLOAD_OPTION_NAMES}
    rest = {k: v for k, v in options.items() if k not in WORKLOAD_OPTION_NAMES}
    return workload, rest

"""Settings in a few words each, for headlines: the backend, the inputs, what a build cost."""

from __future__ import annotations

from ..records import Settings
from ..sections import BackendBuild
from .units import duration


def backend_words(s: Settings) -> list[str]:
    """The backend, when it is not eager: "compile reduce-overhead dynamic", "onnxruntime"."""
    w = s.workload
    if w.backend == "compile":
        mode = "" if w.compile_mode in (None, "default") else f" {w.compile_mode}"
        return [f"compile{mode}" + (" dynamic" if w.dynamic else "")]
    return [] if w.backend == "eager" else [w.backend]


def build_lines(built: BackendBuild | None) -> list[str]:
    """Headline rows for what building the call cost: a compile, an export."""
    lines: list[str] = []
    if built is None:
        return lines
    if built.compile_s is not None:
        lines.append(
            f"  compile       {duration(built.compile_s):>11}  first call, compiling; "
            "not in the figures"
        )
    session = duration(built.session_s) if built.session_s is not None else "n/a"
    if str(built.exporter or "").startswith("none"):  # an onnx: file, not exported
        lines.append(
            f"  session       {session:>11}  ONNX Runtime loading the file; not in the figures"
        )
    elif built.export_s is not None:
        lines.append(
            f"  export        {duration(built.export_s):>11}  to ONNX, and "
            f"{session} for the session; not in the figures"
        )
    return lines


def input_words(s: Settings) -> list[str]:
    """How the model runs and what its inputs are, in a word or two each: the backend when it
    is not eager, memory format of images, tokens per item."""
    words = backend_words(s)
    if "(encoder)" in s.inputs.source:  # an encoder-decoder model: only its encoder runs
        words.append("timed as its encoder")
    if s.model.startswith("hf:"):
        tokens = [shape[0] for shape in s.inputs.item_shapes if len(shape) == 1]
        if tokens:
            words.append(f"seq {tokens[0]}")
        if s.workload.hf_config:  # listed in full by --details
            words.append(f"{len(s.workload.hf_config)} config changes")
    if any(len(shape) == 4 for shape in s.input_shapes):
        words.append("channels-last" if s.channels_last else "NCHW")
    return words

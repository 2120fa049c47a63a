"""`compare` of generate configurations live: configuration text, refusals in one line, the
decision machinery on interleaved arms from the fake device (verdict words, undecided, the
gate), and the whole path on a tiny gpt2 on the CPU (API and CLI, result file, show, exports)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import infertime
from infertime import kinds, resultfile
from infertime.cli.app import main
from infertime.comparison.configs import config_of, parse_config
from infertime.comparison.result import CompareAnalysis, CompareResult
from infertime.devices.fake import FakeDevice
from infertime.generation.compare_arms import generation_compare_result, stop_width
from infertime.generation.interleave import interleave_sequences
from infertime.generation.records import SequenceRecord
from infertime.policies import ComparePolicy
from infertime.reporting.export import export_text

GOLDEN = Path(__file__).parent / "golden" / "v6_generate_cpu.json"
TINY = "hf:gpt2 " + " ".join(
    f"--hf-config {c}" for c in ("n_layer=2", "n_embd=64", "n_head=4", "vocab_size=1000")
)
A = f"{TINY} --prompt-len 8 --new-tokens 4"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- configurations ---------------------------------------------------------------------------


def test_generate_flags_make_a_generate_configuration() -> None:
    c = parse_config(f"{TINY} --prompt-len 32 --new-tokens=16 --cache static --dtype bf16")
    assert c.is_generate and dict(c.generate or ()) == {
        "cache": "static",
        "new_tokens": 16,
        "prompt_len": 32,
    }
    assert c.spec.dtype == "bf16" and c.spec.model == "hf:gpt2"
    assert not parse_config("hf:gpt2 --dtype bf16").is_generate
    d = config_of({"model": "hf:gpt2", "prompt_len": 8, "new_tokens": 4}, {"threads": None})
    assert d.is_generate and d.name == "hf:gpt2 --prompt-len 8 --new-tokens 4"


@pytest.mark.parametrize(
    ("items", "args", "words"),
    [
        ((A, "hf:gpt2"), [], "latency one"),
        (("hf:gpt2", "hf:gpt2 --dtype bf16"), ["--figure", "tpot"], "generate figure"),
        ((A, A), ["--figure", "device_time"], "ttft, tpot or e2e"),
        ((A, A), ["--processes", "1"], "integer >= 2"),
        ((A, A), ["--copies", "5"], "1 to 4"),
        ((A, f"{A} --slo ttft=1ms"), [], "one batch per configuration"),
        ((A, f"{A} --prompt-len"), [], "needs a value"),
        ((A, f"{A} --new-tokens 1"), [], "new"),
        ((A, f"{A} --backend onnxruntime"), [], "eager or compile"),
    ],
)
def test_bad_generate_comparisons_are_refused_in_one_line(
    items: tuple[str, str], args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(["compare", *items, "--device", "cpu", *args], capsys)
    assert code == 2, err
    assert words.lower() in err.lower() and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 2


# -- the decision machinery on the fake device ------------------------------------------------


def settings() -> Any:
    return resultfile.load_result(GOLDEN).settings


def arm(factor: float, count: list[int], spread: float = 0.01) -> Any:
    def call() -> SequenceRecord:
        count[0] += 1
        j = 1 + spread * ((count[0] * 7) % 5)
        return SequenceRecord(0, 1e-3 * factor * j, 4e-3 * factor * j, 5e-3 * factor * j)

    return call


def fake_result(
    factor: float, policy: ComparePolicy, spread: float = 0.01, owners: tuple[int, ...] = (0, 1)
) -> CompareResult:
    count = [0]
    factors = (1.0, factor)
    figure = {"ttft": "ttft", "tpot": "decode", "e2e": "whole"}[policy.figure]
    width = stop_width(owners, policy.figure, [5, 5], policy.confidence)
    run = interleave_sequences(
        [arm(factors[o], count, spread) for o in owners],
        FakeDevice(),
        min_rounds=policy.min_rounds,
        max_time_s=policy.max_time_s,
        precision=policy.precision,
        figures=(figure,),
        max_rounds=policy.max_rounds,
        width=width if len(owners) > 2 else None,
    )
    s = settings()
    return generation_compare_result(
        run, ["A", "B"], [5, 5], [s, s], [None, None], [None, None], policy,
        CompareAnalysis(), {}, owners=owners,
    )  # fmt: skip


def test_a_slower_configuration_is_said_slower_and_fails_the_gate() -> None:
    policy = ComparePolicy(figure="tpot", precision=0.02, copies=1, fail_if_slower=0.05,
                           max_rounds=64)  # fmt: skip
    r = fake_result(1.1, policy)
    assert r.mode == "interleaved" and r.figure == "tpot"
    assert r.ratio(1).value == pytest.approx(1.1, rel=0.02)
    assert r.decision(1).text.startswith("B is slower than A")
    assert r.gate_state == "regression"
    # TPOT = decode time / (N - 1): 4 ms x j / 4
    assert r.value(0) == pytest.approx(1e-3, rel=0.05)


def test_equal_configurations_pass_and_too_few_rounds_stay_undecided() -> None:
    same = fake_result(1.0, ComparePolicy(figure="ttft", precision=0.02, copies=1,
                                          fail_if_slower=0.05, max_rounds=64))  # fmt: skip
    assert "no difference" in same.verdict(1) and same.gate_state == "passed"
    two = ComparePolicy(figure="e2e", precision=0.001, copies=1, min_rounds=2, max_rounds=2,
                        fail_if_slower=0.01)  # fmt: skip
    noisy = fake_result(1.02, two, spread=0.2)
    assert "undecided" in noisy.verdict(1) and noisy.gate_state == "inconclusive"


def test_copies_are_pooled_by_round_and_their_agreement_kept() -> None:
    policy = ComparePolicy(figure="tpot", precision=0.02, copies=2, max_rounds=64)
    r = fake_result(1.1, policy, owners=(0, 1, 1, 0))
    assert all(sorted(o) == [0, 0, 1, 1, 2, 2, 3, 3] for o in r.orders)
    assert all(len(g) == 4 for a in r.arms for g in a.groups)  # 2 copies x 2 calls a round
    assert r.analysis.owners == (0, 1, 1, 0)
    assert [(c.name, c.copy) for c in r.analysis.copies] == [("A", 2), ("B", 2)]
    assert all(c.time_ratio_to_first == pytest.approx(1.0, abs=0.03) for c in r.analysis.copies)
    assert r.policy.copies == 2 and r.ratio(1).value == pytest.approx(1.1, rel=0.02)
    assert "copies" in r.ratio(1).method


def test_the_default_budget_grows_until_the_fewest_rounds_fit() -> None:
    from infertime.generation.compare import MAX_DEFAULT_BUDGET_S, budget_for_rounds
    from infertime.records import WarmupRecord

    def warm(call_s: float) -> WarmupRecord:
        return WarmupRecord(6, 6 * call_s, True, "steady", call_s, (call_s,) * 6)

    policy = ComparePolicy(figure="tpot", max_time_s=20.0)  # 16 rounds at least
    fast = budget_for_rounds(policy, [warm(0.01)] * 4)
    assert fast.max_time_s == 20.0  # 16 rounds of 8 calls of 10 ms fit
    said: list[str] = []
    slow = budget_for_rounds(policy, [warm(0.5)] * 4, lambda p, f, t: said.append(t))
    assert slow.max_time_s == pytest.approx(1.2 * 16 * 8 * 0.5)  # rounds of 4 s
    assert said and "--max-time" in said[0]
    huge = budget_for_rounds(policy, [warm(10.0)] * 4)
    assert huge.max_time_s == MAX_DEFAULT_BUDGET_S


# -- the whole path on the CPU ----------------------------------------------------------------


def test_api_compares_generate_configurations_live(tmp_path: Path) -> None:
    r = infertime.compare(A, f"{A} --cache static", device="cpu", figure="tpot", max_time_s=0.5)
    # How many rounds fit in 0.5 s is the host's business: at least one, each balanced.
    assert r.mode == "interleaved" and r.figure == "tpot" and len(r.orders) >= 1
    # two copies of each, built A B B A; every round a permutation of the copies and its reverse
    assert r.analysis.owners == (0, 1, 1, 0) and r.policy.copies == 2
    assert all(sorted(o) == [0, 0, 1, 1, 2, 2, 3, 3] for o in r.orders)
    assert all(len(g) == 4 for a in r.arms for g in a.groups)
    one = infertime.compare(A, A, device="cpu", figure="e2e", copies=1, max_time_s=0.2)
    assert one.analysis.one_copy_because is None and one.analysis.owners == ()  # as asked
    assert all(sorted(o) == [0, 0, 1, 1] for o in one.orders)
    assert r.ratio(1).value > 0 and r.verdict(1)
    path = tmp_path / "c.json"
    resultfile.save_json(r, path)
    again: Any = resultfile.load_result(path)
    assert again.kind == "compare" and again.ratio(1).value == pytest.approx(r.ratio(1).value)
    for fmt in ("csv", "markdown", "json"):
        assert "tpot" in export_text(again, fmt)
    out = io.StringIO()
    kinds.get("compare").render(again, Console(file=out, width=80, color_system=None), True)
    assert "tpot" in out.getvalue()
    assert all(len(line) <= 80 for line in out.getvalue().splitlines()), out.getvalue()


def test_a_second_copy_that_does_not_fit_leaves_one_copy_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infertime.errors import OutOfMemoryError
    from infertime.generation import model

    real, built = model.build_model, []

    def build(*args: Any, **kwargs: Any) -> Any:
        if len(built) == 2:  # A and B fit; the second copy of B (built third: A B B A) does not
            raise OutOfMemoryError("out of memory: the second copy")
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "build_model", build)
    r = infertime.compare(A, f"{A} --cache static", device="cpu", max_time_s=0.2)
    assert r.figure == "e2e" and r.policy.copies == 1  # latency, compare's default, is e2e
    assert r.analysis.one_copy_because == f"a second copy of {A} --cache static did not fit"
    assert r.analysis.owners == () and all(sorted(o) == [0, 0, 1, 1] for o in r.orders)
    assert any(d.code == "one_copy" for d in r.diagnostics)


def test_fresh_processes_alternate_and_pair_by_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime.energy import rapl
    from infertime.execution import executors, repeat

    def unreadable(path: Path) -> int:  # no counter: the energy section says so, at once
        raise PermissionError(13, "Permission denied", str(path))

    # The child task in this process, through JSON as a child would see it.
    monkeypatch.setattr(repeat, "default_executor", executors.InProcess)
    monkeypatch.setattr(rapl, "_read_uj", unreadable)
    r = infertime.compare(A, f"{A} --cache static", device="cpu", figure="ttft", processes=2,
                          max_time_s=0.2, preset="quick", energy=True)  # fmt: skip
    assert r.mode == "processes" and r.figure == "ttft" and r.policy.copies == 1
    assert all(len(a.groups) == 2 for a in r.arms)  # one group of calls per process
    assert r.ratio(1).value > 0 and r.verdict(1)  # paired by process (compare's own)
    energy = r.analysis.energy
    assert energy is not None and "last fresh process" in energy.arrangement
    assert [s.status for s in energy.sections] == ["not_measured", "not_measured"]
    assert all(s.tokens_per_call == 4 for s in energy.sections)


def test_cli_compares_ttft_and_writes_a_compare_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.json"
    code, out, err = cli(["compare", A, A, "--device", "cpu", "--figure", "ttft", "--max-time",
                          "0.3", "--json", str(path), "-q"], capsys)  # fmt: skip
    assert code == 0, err
    doc = json.loads(path.read_text())
    assert doc["kind"] == "compare" and doc["figure"] == "ttft"
    assert "ttft" in out
    code, out, _ = cli(["show", str(path)], capsys)
    assert code == 0 and "ttft" in out
    assert "<html" in export_text(resultfile.load_result(path), "html").lower()


def test_the_gate_answers_with_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    # Which of the three codes depends on the host's noise; that the gate ran does not.
    code, _, err = cli(["compare", A, A, "--device", "cpu", "--figure", "e2e", "--copies",
                          "1", "--max-time", "0.2", "--fail-if-slower", "5%"], capsys)  # fmt: skip
    assert code in (0, 8, 9) and "Traceback" not in err

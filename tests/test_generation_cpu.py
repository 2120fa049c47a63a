"""Generation timing on the CPU with tiny random causal LMs (gpt2 and llama, two layers):
exact lengths on both paths, EOS impossible, marks that add up, no host sync in the loop,
static cache + compile without recompiles, bad input refused before building."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from infertime.devices import CpuDevice  # noqa: E402
from infertime.errors import (  # noqa: E402
    ConfigError,
    ModelNotFoundError,
    OutOfMemoryError,
    RecompileError,
)
from infertime.generation import figures  # noqa: E402
from infertime.generation.caller import Caller  # noqa: E402
from infertime.generation.lengths import GenerationLengthError  # noqa: E402
from infertime.generation.loop import DecodeLoop  # noqa: E402
from infertime.generation.measure import (  # noqa: E402
    model_guard,
    run_generation,
    sweep_generation,
)
from infertime.generation.model import build_model  # noqa: E402
from infertime.generation.slo import Slo  # noqa: E402
from infertime.generation.spec import GenerationPolicy, GenerationSpec  # noqa: E402
from infertime.policies import StopPolicy, WarmupPolicy  # noqa: E402
from infertime.workload.backends.compiled import recompiles_are_errors  # noqa: E402

EOS = 7
GPT2 = ("n_layer=2", "n_embd=64", "n_head=2", "vocab_size=1000", "n_positions=64",
        f"eos_token_id={EOS}", f"bos_token_id={EOS}")  # fmt: skip
LLAMA = ("num_hidden_layers=2", "hidden_size=64", "intermediate_size=128",
         "num_attention_heads=4", "num_key_value_heads=2", "head_dim=16", "vocab_size=1000",
         "max_position_embeddings=64", f"eos_token_id={EOS}")  # fmt: skip
MODELS = {"gpt2": GPT2, "llama": LLAMA}
FAST = GenerationPolicy(
    warmup=WarmupPolicy(min_time_s=0.01, min_calls=2, window_calls=2, windows=2,
                        window_time_s=0.005, max_time_s=0.5),
    stop=StopPolicy(precision=0.05, min_samples=6, max_time_s=0.3),
    caller_min_calls=2, caller_max_calls=3, caller_max_time_s=0.05,
)  # fmt: skip
# Exactly 24 timed calls whatever the host's speed (tests that judge the samples' bounds).
COUNTED = GenerationPolicy(
    warmup=FAST.warmup,
    stop=StopPolicy(precision=0.5, min_samples=24, max_samples=24, max_time_s=60.0),
    caller=False,
)
CPU = CpuDevice()


def gen_spec(name: str = "gpt2", **kw: Any) -> GenerationSpec:
    base: dict[str, Any] = {
        "model": f"hf:{name}", "prompt_len": 12, "new_tokens": 6, "batch_size": 2,
        "hf_config": MODELS[name], "device": "cpu",
    }  # fmt: skip
    base.update(kw)
    return GenerationSpec(**base)


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_both_paths_yield_exactly_n_tokens(name: str) -> None:
    s = gen_spec(name)
    run = run_generation(s, FAST)
    n = s.new_tokens
    assert len(run.sequences) >= 1  # how many fit the budget is the host's speed
    assert all(len(q.step_s) == n - 1 for q in run.sequences)
    assert run.tokens_checked == len(run.sequences) * s.batch_size
    assert run.caller is not None and len(run.caller.latency_s) >= 2
    assert all(t.n == n for t in run.caller.streamed)
    assert "eos_token_id=None" in run.caller.generate_kwargs
    assert run.model.removed_eos_ids == (EOS,)
    # prefill + steps against the whole, from the same marks (target: within 0.5 %)
    gap = figures.marks_gap(run)
    assert gap is not None and gap < figures.MARKS_TOLERANCE_REL
    # KV bytes per token: measured from the cache tensors = layers x 2 x kv heads x dim x 4
    assert run.model.kv_bytes_per_token_config == run.cache.measured_bytes_per_token
    assert run.caller.host_syncs_per_call is None and "cpu" in run.caller.syncs_note
    f = figures.device_figures(run)
    assert {"ttft_s", "tpot_s", "e2e_s", "step_slope_s_per_position"} <= set(f)
    assert figures.tool_views(run)["host"]


def test_static_cache_and_compile_without_recompiles() -> None:
    s = gen_spec(backend="compile", cache="static", max_cache_len=32, compile_backend="eager")
    run = run_generation(s, FAST)
    assert run.compile is not None and run.compile.recompiles_in_timed_region == 0
    assert run.compile.compile_s > 0
    assert run.cache.max_cache_len == 32 and run.cache.tokens_held == 32
    assert all(len(q.step_s) == s.new_tokens - 1 for q in run.sequences)
    assert run.caller is not None and all(t.n == s.new_tokens for t in run.caller.streamed)
    assert any("cache_implementation='static'" in k for k in run.caller.generate_kwargs)


def test_a_recompile_in_the_timed_region_stops_the_run() -> None:
    s = gen_spec(backend="compile", cache="static", compile_backend="eager")
    built = build_model(s, CPU)
    with torch.inference_mode():
        loop = DecodeLoop(built, s, CPU)
        torch._dynamo.reset()
        loop.compile_decode("default", "eager")
        loop.run()
        other = torch.zeros((s.batch_size + 1, 1), dtype=torch.long)
        with (
            pytest.raises(RecompileError, match="recompiled"),
            model_guard(s, CPU, "in the timed loop"),
            recompiles_are_errors(True),
        ):
            loop.decode(input_ids=other, cache=loop._fresh_cache(), use_cache=True)


@pytest.fixture
def emits_eos() -> Iterator[tuple[GenerationSpec, Any]]:
    """A model whose weights choose EOS at every step (its lm_head pushed towards it)."""
    s = gen_spec("gpt2")
    built = build_model(s, CPU)
    head = built.module.get_output_embeddings()

    def towards_eos(_module: Any, _inputs: Any, output: Any) -> Any:
        output[..., EOS] += 1e4
        return output

    handle = head.register_forward_hook(towards_eos)
    yield s, built
    handle.remove()


def test_eos_is_impossible_even_when_the_weights_emit_it(emits_eos: Any) -> None:
    s, built = emits_eos
    with torch.inference_mode():
        loop = DecodeLoop(built, s, CPU)
        loop.run()
        assert (loop.generated() == EOS).all()  # EOS chosen every step, and N of them
        assert loop.generated().shape == (s.batch_size, s.new_tokens)
        caller = Caller(built, s, CPU, loop.prompt)
        out = caller.call()
        caller.check(out, "generate()")
        assert (out[:, s.prompt_len :] == EOS).all()
        # what users get when EOS stays on the call: one token, and infertime's error
        caller.gen.eos_token_id = EOS
        with pytest.raises(GenerationLengthError, match=r"2 of 2 .*1, 1"):
            caller.check(caller.call(), "generate() with EOS")


@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_the_loop_makes_no_host_sync(cache: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation that makes the host read a device value, made to fail when the loop's
    own code calls it (the model's code may; those are counted, on a GPU, apart)."""
    s = gen_spec("llama", cache=cache)
    built = build_model(s, CPU)
    with torch.inference_mode():
        loop = DecodeLoop(built, s, CPU)
        calls: list[str] = []
        for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__int__", "__float__",
                     "__index__", "nonzero", "any", "all"):  # fmt: skip
            original = getattr(torch.Tensor, name)

            def spy(self: Any, *a: Any, _name: str = name, _orig: Any = original, **k: Any) -> Any:
                if sys._getframe(1).f_globals.get("__name__") == "infertime.generation.loop":
                    calls.append(_name)
                return _orig(self, *a, **k)

            monkeypatch.setattr(torch.Tensor, name, spy)
        loop.run(per_step=True)
        loop.run(per_step=False)
    assert calls == []


def test_device_path_chooses_the_tokens_generate_chooses() -> None:
    s = gen_spec("llama")
    built = build_model(s, CPU)
    with torch.inference_mode():
        loop = DecodeLoop(built, s, CPU)
        loop.run()
        out = Caller(built, s, CPU, loop.prompt).call()
    assert torch.equal(out[:, s.prompt_len :], loop.generated())


def test_out_of_memory_in_the_loop_names_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    s = gen_spec("gpt2", batch_size=4)
    built = build_model(s, CPU)

    def no_memory(*_a: Any, **_k: Any) -> Any:
        raise MemoryError

    with torch.inference_mode():
        loop = DecodeLoop(built, s, CPU)
        monkeypatch.setattr(loop, "prefill", no_memory)
        with (
            pytest.raises(OutOfMemoryError, match="batch 4") as info,
            model_guard(s, CPU, "in the timed loop", built.kv),
        ):
            loop.run()
    assert "KV cache" in info.value.one_line() and info.value.exit_code == 4


@pytest.mark.parametrize(
    ("name", "overrides", "words"),
    [
        ("bert", ("num_hidden_layers=1",), "encoder, not a causal LM"),
        ("vit", (), "not a causal LM"),
        ("t5", (), "not a causal LM"),
    ],
)
def test_models_that_cannot_generate(name: str, overrides: tuple[str, ...], words: str) -> None:
    s = GenerationSpec(f"hf:{name}", 8, 4, hf_config=overrides, device="cpu")
    with pytest.raises(ModelNotFoundError, match=words) as info:
        build_model(s, CPU)
    assert "generate needs a causal language model" in info.value.one_line()
    assert info.value.exit_code == 2


def test_lengths_beyond_positions_fail_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    def never(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the model was built")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", never)
    s = gen_spec("gpt2", prompt_len=60, new_tokens=8)  # 68 > n_positions 64
    with pytest.raises(ConfigError, match=r"68\) is more than .* \(64\)"):
        build_model(s, CPU)
    static = gen_spec("gpt2", cache="static", max_cache_len=65)
    with pytest.raises(ConfigError, match="static cache length"):
        build_model(static, CPU)
    with pytest.raises(ModelNotFoundError, match="no model type"):
        build_model(GenerationSpec("hf:gtp2", 8, 4), CPU)


def test_sweep_with_limits() -> None:
    s = gen_spec("gpt2")
    runs, points, choice = sweep_generation(
        s, [1, 2], slo=Slo(ttft_s=10.0, tpot_s=10.0), policy=COUNTED, device="cpu"
    )
    assert [p.batch for p in points] == [1, 2] and len(runs) == 2
    assert all(r.caller is None for r in runs)
    # 10 s limits are met wherever the median can be bounded; whether it can, from 24 calls,
    # depends on how serially correlated this host's noise made them (not on the code).
    assert choice is not None and [v.batch for v in choice.verdicts] == [1, 2]
    for v in choice.verdicts:
        assert v.meets or "cannot be bounded" in v.reason, v.reason
    met = [v.batch for v in choice.verdicts if v.meets]
    assert choice.batch == (max(met) if met else None)
    assert points[1].tokens_per_s_per_gpu is not None

"""The Python API on the CPU: modules with example inputs, keyword and integer inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import infertime
from infertime.policies import MeasureConfig
from models_for_tests import TinyCnn, text_model


def test_measure_latency_on_a_module(fast_config: MeasureConfig) -> None:
    result = infertime.measure_latency(
        TinyCnn(), torch.randn(3, 3, 16, 16), device="cpu", config=fast_config
    )
    assert result.settings.batch_size == 3
    assert result.settings.input_shapes == ((3, 3, 16, 16),)
    assert result.settings.model == "module:TinyCnn"
    # On a CPU latency is the one figure (device time is the same quantity there).
    assert list(result.figures) == ["latency"] and result.throughput_figure == "latency"
    for series in result.figures.values():
        # The minimum samples, unless the time budget ran out first (a busy host).
        assert series.summary.n >= 6 or series.stop.reason == "max_time"
    assert result.throughput_items_per_s > 0
    assert result.warmup.cold_call_s > 0


def test_batch_size_overrides_the_example_batch(fast_config: MeasureConfig) -> None:
    result = infertime.measure_latency(
        TinyCnn(), torch.randn(1, 3, 16, 16), device="cpu", batch_size=5, config=fast_config
    )
    assert result.settings.input_shapes == ((5, 3, 16, 16),)


def test_keyword_and_integer_inputs_keep_their_range(fast_config: MeasureConfig) -> None:
    module, examples = text_model()
    seen: list[dict[str, torch.Tensor]] = []
    module.register_forward_pre_hook(lambda m, args, kwargs: seen.append(kwargs), with_kwargs=True)
    result = infertime.measure_latency(module, examples, device="cpu", config=fast_config)
    assert "integer inputs uniform" in result.settings.inputs.source
    ids, mask = seen[0]["input_ids"], seen[0]["attention_mask"]
    assert ids.dtype == torch.long and int(ids.min()) >= 0 and int(ids.max()) <= 99
    assert bool((mask == 1).all())


def test_inputs_are_seeded_normal_not_zeros(fast_config: MeasureConfig) -> None:
    seen: list[torch.Tensor] = []
    module = TinyCnn()
    module.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    infertime.measure_latency(module, torch.zeros(2, 3, 16, 16), device="cpu", config=fast_config)
    x = seen[0]
    assert float(x.abs().sum()) > 0
    assert abs(float(x.mean())) < 0.2 and 0.8 < float(x.std()) < 1.2
    assert torch.equal(seen[0], seen[-1])  # the same tensors for every call


def test_a_callers_module_keeps_its_mode_and_trainable_parameters(
    fast_config: MeasureConfig,
) -> None:
    module = TinyCnn().train()
    infertime.measure_latency(module, torch.randn(1, 3, 16, 16), device="cpu", config=fast_config)
    assert module.training
    loss = module(torch.randn(1, 3, 16, 16)).sum()
    loss.backward()  # parameters are still ordinary tensors, not inference tensors
    assert module.conv.weight.grad is not None


def test_a_refused_call_leaves_the_callers_module_untouched() -> None:
    module = TinyCnn()
    with pytest.raises(infertime.ConfigError, match="graph_replay\\) need a CUDA device"):
        infertime.measure_latency(
            module, torch.randn(1, 3, 16, 16), device="cpu", dtype="bf16", graph_replay=True
        )
    assert module.conv.weight.dtype == torch.float32 and module.training


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": True}, "batch_size must be an integer"),
        ({"max_time_s": True}, "max_time_s must be a positive number"),
        ({"seed": 2**70}, "seed must be an integer"),
        ({"dtype": "fp64"}, "dtype must be one of"),
        ({"device": 3}, "device must be a name"),
    ],
)
def test_bad_options_name_the_keyword(options: dict[str, Any], message: str) -> None:
    with pytest.raises(infertime.ConfigError, match=message):
        infertime.measure_latency(TinyCnn(), torch.randn(1, 3, 16, 16), **options)


def test_unknown_keyword_is_a_type_error_as_in_any_call() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'bach_size'"):
        infertime.measure_latency("timm:resnet18", bach_size=4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'min_samples'"):
        infertime.measure_throughput("timm:resnet18", min_samples=4)  # type: ignore[call-arg]


def test_a_torch_device_is_accepted(fast_config: MeasureConfig) -> None:
    r = infertime.measure_latency(
        TinyCnn(), torch.randn(1, 3, 16, 16), device=torch.device("cpu"), config=fast_config
    )
    assert r.settings.device == "cpu"


def test_a_workload_spec_is_accepted_and_options_override_it(fast_config: MeasureConfig) -> None:
    spec = infertime.WorkloadSpec(model="models_for_tests:tiny_cnn", batch_size=3, device="cpu")
    r = infertime.measure_latency(spec, batch_size=2, config=fast_config)
    assert r.settings.batch_size == 2 and r.settings.model == "models_for_tests:tiny_cnn"


def test_throughput_refuses_a_batch_size() -> None:
    with pytest.raises(infertime.ConfigError, match="varies the batch size"):
        infertime.measure_throughput(TinyCnn(), torch.randn(1, 3, 16, 16), batch_size=4)


def test_save_and_load_refuse_what_they_cannot_handle(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="save_json\\(\\) takes a result"):
        infertime.save_json({"kind": "latency"}, tmp_path / "r.json")
    with pytest.raises(TypeError, match="load_result\\(\\) takes a path"):
        infertime.load_result(42)  # type: ignore[arg-type]

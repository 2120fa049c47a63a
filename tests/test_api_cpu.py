"""The Python API on the CPU: modules with example inputs, keyword and integer inputs."""

from __future__ import annotations

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
    assert result.latency.summary.n >= 6 and result.device_time.summary.n >= 6
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

"""Settings for results built by hand in tests (the engine runs on a FakeDevice)."""

from __future__ import annotations

from infertime.policies import MeasureConfig
from infertime.records import ContextRecord, InputsRecord, Settings
from infertime.workload.spec import WorkloadSpec


def fake_settings(
    batch_size: int | None = 4,
    device: str = "fake:0",
    method: MeasureConfig | None = None,
    training: bool = False,
) -> Settings:
    return Settings(
        workload=WorkloadSpec(model="fake", batch_size=batch_size, device=device, threads=1),
        context=ContextRecord(
            threads=1,
            interop_threads=1,
            grad_enabled=False,
            inference_mode=True,
            model_training=training,
            current_device=device,
            gc_enabled=False,
        ),
        inputs=InputsRecord(item_shapes=((3, 8, 8),), dtypes=("float32",), source="fake"),
        timer="fake clock",
        method=method or MeasureConfig(),
    )

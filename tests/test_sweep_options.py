"""The sweep's option table against each kind's registered command: every option a sweep point
may set is a flag that command takes, with the same style, and every workload flag the command
takes can be swept (so a new or renamed flag cannot drift unseen)."""

from __future__ import annotations

import pytest

from infertime import kinds
from infertime.cli.options import resolve
from infertime.specs.text import workload_flags
from infertime.sweep.options import KINDS, PAIRED_SWITCHES, options_of

COMMAND_KIND = {"run": "latency", "throughput": "throughput", "pitfalls": "pitfalls",
                "generate": "generate"}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_sweep_option_is_a_flag_of_the_command(kind: str) -> None:
    command = kinds.get(COMMAND_KIND[kind]).command
    assert command is not None and command.name == kind
    taken = {o.name: o for o in resolve(command.options) if not o.hidden}
    for key, info in options_of(kind).items():
        assert key in taken, f"{kind} has no option {key}"
        opt = taken[key]
        if key == "model":
            assert opt.style == "argument"
        elif info.type == "bool":
            assert opt.style in ("switch", "toggle"), key
            assert (opt.style == "toggle") == (key in PAIRED_SWITCHES), key
        else:
            assert f"--{key.replace('_', '-')}" in opt.flags, key
    workload_taken = set(taken) & set(workload_flags())
    assert workload_taken <= set(options_of(kind)), workload_taken - set(options_of(kind))

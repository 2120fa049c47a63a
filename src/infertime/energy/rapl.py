"""RAPL energy counters of the CPU packages, read from Linux's powercap files.

Each package domain (/sys/class/powercap/intel-rapl:N, name "package-N"; AMD Zen shows its
packages there too) has energy_uj, which wraps at max_energy_range_uj. Since Linux 5.10 only
root may read energy_uj (CVE-2020-8694, "PLATYPUS"). Where no package can be read the figure
says so: no TDP guess (codecarbon falls back to TDP x 0.5 without RAPL, mlco2/codecarbon#184).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import findings as found
from .counter import CounterReadError, CounterUnavailable
from .records import Finding

POWERCAP = Path("/sys/class/powercap")
NOT_MEASURED = "energy not measured on this CPU: no readable counter"
_PACKAGE_DIR = re.compile(r"intel-rapl:\d+$")


def package_domains(root: Path) -> list[Path]:
    """Top-level RAPL domains whose name is a package, in their numeric order."""
    if not root.is_dir():
        return []
    found_dirs = []
    for d in root.iterdir():
        if not _PACKAGE_DIR.match(d.name):
            continue
        try:
            name = (d / "name").read_text().strip()
        except OSError:
            continue
        if name.startswith("package"):
            found_dirs.append(d)
    return sorted(found_dirs, key=lambda d: int(d.name.split(":")[1]))


def _read_uj(path: Path) -> int:
    return int(path.read_text().strip())


class RaplCounter:
    """The sum of the CPU packages' RAPL counters (EnergyCounter), each wrapping on its own."""

    source = "rapl"

    def __init__(self, domains: list[Path], ranges_uj: list[int], names: list[str]) -> None:
        self.domains = domains
        self.ranges_uj = ranges_uj
        self.names = names

    @property
    def description(self) -> str:
        return f"RAPL energy_uj of {', '.join(self.names)} (powercap)"

    @property
    def scope(self) -> str:
        return f"CPU {' and '.join(self.names)} (all cores, every process on them)"

    @property
    def wraps_j(self) -> tuple[float | None, ...]:
        return tuple(r / 1e6 for r in self.ranges_uj)

    def read_j(self) -> tuple[float, ...]:
        try:
            return tuple(_read_uj(d / "energy_uj") / 1e6 for d in self.domains)
        except (OSError, ValueError) as exc:
            raise CounterReadError(f"RAPL: {exc}") from exc

    def scope_findings(self) -> tuple[Finding, ...]:
        return (found.whole_package(self.scope),)


def open_rapl_counter(root: Path = POWERCAP) -> RaplCounter | CounterUnavailable:
    """The packages' counter, or 'not measured' with the reason no package could be read."""
    domains = package_domains(root)
    if not domains:
        return CounterUnavailable("rapl", f"{NOT_MEASURED} (no RAPL package domain in {root})")
    ranges, names = [], []
    for d in domains:
        try:
            _read_uj(d / "energy_uj")
            ranges.append(_read_uj(d / "max_energy_range_uj"))
            names.append((d / "name").read_text().strip())
        except PermissionError:
            return CounterUnavailable(
                "rapl",
                f"{NOT_MEASURED} ({d / 'energy_uj'}: permission denied; only root may read it "
                "since Linux 5.10)",
            )
        except (OSError, ValueError) as exc:
            return CounterUnavailable("rapl", f"{NOT_MEASURED} ({d}: {exc})")
    return RaplCounter(domains, ranges, names)

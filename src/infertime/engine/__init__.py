"""Device-agnostic, torch-free measurement loops: timing, warm-up, sampling, stopping rules,
batch search, throughput curve, latency budget."""

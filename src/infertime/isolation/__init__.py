"""Everything that runs in a fresh interpreter, through one runner: batch-search probes under
--isolate, the cold-start row of pitfalls, and the NVML sampler. Children that call the model
rebuild it from the spec and enter the same measurement context as the parent."""

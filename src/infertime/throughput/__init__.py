"""`infertime throughput`: the max-fit search, the curve and the batches worth using."""

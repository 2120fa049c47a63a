"""The measurement skeleton (measurement.py): probes around the engine step, one place for
child specs. Every kind's measure function runs through it."""

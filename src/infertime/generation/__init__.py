"""Text-generation timing for causal LMs: device path (own marked decode loop), caller's path
(generate()), figures, other tools' definitions, batch sweep under latency limits.

Importing this package imports neither torch nor transformers: measure.py, loop.py, model.py
and caller.py import them when called.
"""

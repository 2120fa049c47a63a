"""Where a measurement runs: in this process or in a fresh interpreter (executors.py), one
interface; a child answers through a file written atomically, never through stdout."""

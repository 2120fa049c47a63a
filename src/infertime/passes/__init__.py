"""Extra GPU measurement passes outside the engine's loops: CUPTI kernel time, CUDA-graph replay."""

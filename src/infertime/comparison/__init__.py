"""Comparisons of configurations: interleaved in one process, across fresh processes, or from
saved results; ratios with CIs, a verdict in words and a regression gate. (The package is not
called `compare`: importing it would replace the `infertime.compare` function.)"""

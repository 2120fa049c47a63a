"""HTML reports: figures as data, drawn as inline SVG, in one self-contained file (report.py)."""

"""`infertime run`: latency and device time of one configuration."""

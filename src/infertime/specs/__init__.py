"""What is measured: the workload spec, its command-line flags and text form. torch-free."""

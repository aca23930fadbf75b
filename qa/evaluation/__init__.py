"""The citation-accuracy benchmark: dataset loading, metrics, runs, reports,
comparisons and ALCE export. See eval/README.md."""

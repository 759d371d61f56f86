"""Benchmarks of lessonbot against a naive networkx baseline (see ``bench/README.md``)."""

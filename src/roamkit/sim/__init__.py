"""Simulation helpers: deterministic demo and benchmark data (see ``seed``)."""

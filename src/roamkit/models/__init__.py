"""Pydantic v2 wire models: ``v211`` and ``v221``, one file per OCPI module."""

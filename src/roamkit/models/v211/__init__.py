"""OCPI 2.1.1 wire models (spec texts in ``ocpi-spec/2.1.1/``), one file per module.

Self-contained: nothing here imports from ``roamkit.models.v221``.
"""

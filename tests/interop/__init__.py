"""Interop tests against independent OCPI implementations (see README.md)."""

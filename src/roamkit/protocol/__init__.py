"""OCPI transport: envelope, status codes, errors, tokens, headers, pagination, time.

Nothing in this package knows about a particular OCPI module.
"""

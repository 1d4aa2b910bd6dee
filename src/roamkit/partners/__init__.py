"""Partners: the registry of OCPI connections and the credentials flows."""

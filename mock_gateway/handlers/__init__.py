"""Thin connexion operation handlers, one module per spec tag: parse the request, call the domain, wrap the result."""

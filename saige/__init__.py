"""Saige: Secure AI Guidelines Explorer."""

__version__ = "0.1.0"

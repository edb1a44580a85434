"""BccGuard: stops e-mail that shows its recipients to each other."""

__version__ = "0.1.0"

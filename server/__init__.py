"""liveclass: the live part of a learning platform."""

__version__ = "0.1.0"

"""acgate: the readiness gate between source systems and AutoCount Accounting."""

__version__ = "0.1.0"

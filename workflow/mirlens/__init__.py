"""mirlens: biomedical documents -> miRNA -> target -> pathway evidence."""

__version__ = "0.1.0"

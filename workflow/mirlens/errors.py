"""Errors shared by every stage."""


class MirlensError(Exception):
    """An error a user can act on: printed without a traceback, exit status 1."""

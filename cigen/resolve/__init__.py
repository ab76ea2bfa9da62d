"""Assembling a configuration as GitLab does: includes, inputs, ``extends``, ``!reference``."""

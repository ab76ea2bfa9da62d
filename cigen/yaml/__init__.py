"""YAML as GitLab reads it (:mod:`cigen.yaml.load`) and as cigen writes it (`dump`)."""

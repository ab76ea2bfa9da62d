"""GitLab's configuration entry tree: a typed, positioned model that validates itself."""

"""The lint run: settings from ``.cigen.yaml``, the rule context and the engine."""

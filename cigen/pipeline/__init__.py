"""GitLab's pipeline creation: workflow, rules and only/except, the jobs a ref runs."""

"""Runners: the inventory (file or GitLab), job tags, and which runner takes which job."""

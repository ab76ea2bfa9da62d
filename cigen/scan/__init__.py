"""``cigen scan``: lint the CI configuration of every project of a GitLab group or instance.

The steps, each in its own module:

- :mod:`cigen.scan.client`: the GitLab side (python-gitlab over a throttled HTTP session:
  ``RateLimit-*`` headers and ``429 Retry-After`` obeyed, retries with backoff, a total
  deadline); lists projects, reads files at the default branch, reads runners once each;
- :mod:`cigen.scan.project`: one project's record (configuration read, resolved, linted and
  matched against the runners available to the project);
- :mod:`cigen.scan.includes`: fingerprints of the files included from other projects,
  templates and components, and a rerun's check of them (once per scan, shared);
- :mod:`cigen.scan.records`: records as JSON lines (resumable), shards and their merge;
- :mod:`cigen.scan.report`: what the records say across projects, as Markdown and HTML;
- :mod:`cigen.scan.outputs`: each linted project's findings as Code Quality and SARIF files.
"""

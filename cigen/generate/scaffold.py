"""Starter files that go with a preset: the Dockerfile of the jupyter preset.

:func:`jupyter_dockerfile` renders ``presets/jupyter.Dockerfile.j2``: Python 3 installed when
the base image has none (an NVIDIA CUDA image, say) and a virtual environment in ``/opt/venv``,
Jupyter Server and the packages asked for, a non-root user, the token read from
``JUPYTER_TOKEN``. :func:`jupyter_instructions` is what ``cigen scaffold jupyter`` prints after
writing it. Values are checked by the CLI before they reach here (they become Dockerfile text).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DEFAULT_OUTPUT",
    "JUPYTER_BASE_PACKAGES",
    "jupyter_dockerfile",
    "jupyter_instructions",
]

#: Where the Dockerfile goes unless told otherwise: beside, not over, the application's own.
DEFAULT_OUTPUT = "jupyter.Dockerfile"
JUPYTER_TEMPLATE = "jupyter.Dockerfile.j2"
JUPYTER_BASE_PACKAGES = ("jupyter_server", "ipykernel")


def jupyter_dockerfile(base_image: str, packages: Sequence[str], port: int) -> str:
    from cigen.generate.render import environment
    from cigen.resources import shipped

    template = shipped("cigen.presets", JUPYTER_TEMPLATE).decode("utf-8")
    wanted = list(dict.fromkeys((*JUPYTER_BASE_PACKAGES, *packages)))
    rendered: str = (
        environment()
        .from_string(template)
        .render(base_image=base_image, packages=wanted, port=port)
    )
    return rendered


def jupyter_instructions(name: str, port: int, namespace: str | None, token_variable: str) -> str:
    """How to build, serve and reach the notebook, for a Dockerfile written to ``name``."""
    build_with = f'{{image: team/jupyter, dockerfile: "${{CI_PROJECT_DIR}}/{name}"}}'
    if name == "Dockerfile":
        build_with = "{image: team/jupyter}"
    run_with = "{from: build-notebook"
    if port != 8888:
        run_with += f", port: {port}"
    if token_variable != "NOTEBOOK_TOKEN":
        run_with += f", token_variable: {token_variable}"
    if namespace is not None:
        run_with += f", namespace: {namespace}"
    run_with += "}"
    shown = namespace or "<namespace>"
    return "\n".join(
        [
            f"Wrote {name}: Jupyter Server on port {port}, running as the non-root user 'jupyter'.",
            "",
            "1. In cigen.yml, build the image and serve exactly that image:",
            f"     build-notebook: {{preset: kaniko, with: {build_with}}}",
            f"     notebook: {{preset: jupyter, with: {run_with}, when: manual}}",
            f"2. Define a masked CI/CD variable {token_variable} (Settings > CI/CD > Variables);",
            "   the job hands it to the server as JUPYTER_TOKEN.",
            "3. Start the notebook job. Its log prints the exact command for its own pod, such as",
            f"     kubectl port-forward -n {shown} pod/<the job's pod> {port}:{port}",
            f"   then open http://localhost:{port} with the token, or in VS Code choose",
            f"   Select Kernel > Existing Jupyter Server and enter http://localhost:{port}.",
            "4. Save your work before the job ends (timeout, or idle shutdown): commit and push",
            "   it, or copy it out with kubectl cp. Everything else in the pod is lost.",
        ]
    )

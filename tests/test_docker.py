# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The Docker deployment (docker/, docker-compose.yml) installs what the modules need:

- every Python package a manifest declares (``external_dependencies["python"]``) is in
  docker/requirements.txt, pinned as in the repository's requirements.txt, and the
  Dockerfile pip-installs that file; every program (``external_dependencies["bin"]``) is
  apt-installed by the Dockerfile;
- the Dockerfile builds on odoo:18.0, copies every module to /mnt/extra-addons and runs
  Odoo's external-dependency check at build time;
- docker-compose.yml builds the Dockerfile for its Odoo service, and .dockerignore sends
  the daemon what the Dockerfile copies;
- every module named by an install command (``-i``) of README.md, docker/README.md and
  docker-compose.yml exists, and the Docker docs' commands install the whole suite.

Static checks of the files (no Docker daemon needed).
"""

import ast
import re
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ODOO_SRC = Path("/opt/odoo")
DOCKERFILE = REPO / "docker" / "Dockerfile"
DOCKER_REQUIREMENTS = REPO / "docker" / "requirements.txt"
COMPOSE = REPO / "docker-compose.yml"
INSTALL_DOCS = (REPO / "README.md", REPO / "docker" / "README.md", COMPOSE)
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def normalise(name):
    """PyPI name normalisation (PEP 503): scikit_learn == Scikit-Learn == scikit-learn."""
    return re.sub(r"[-_.]+", "-", name).lower()


def suite_modules():
    return sorted(path.parent.name for path in REPO.glob("workflow_monitor_*/__manifest__.py"))


def manifest(module):
    return ast.literal_eval((REPO / module / "__manifest__.py").read_text())


def pins(path):
    """{normalised name: version} of the ``name==version`` lines of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = REQUIREMENT.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def declared(kind):
    """{dependency: [modules declaring it]} for ``kind`` "python" or "bin"."""
    found = {}
    for module in suite_modules():
        for dependency in (manifest(module).get("external_dependencies") or {}).get(kind, []):
            found.setdefault(dependency, []).append(module)
    return found


def dockerfile_instructions():
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def install_commands(path):
    """The module lists of the ``-i`` options of a file's commands (continuations and
    comment markers of the compose file joined)."""
    text = path.read_text()
    text = re.sub(r"\\\n[#\s]*", " ", text)
    return [match.split(",") for match in re.findall(r"(?:^|\s)-i\s+([\w,]+)", text)]


def odoo_module_exists(name):
    if (REPO / name / "__manifest__.py").exists():
        return True
    return any(
        (folder / name / "__manifest__.py").exists()
        for folder in (ODOO_SRC / "addons", ODOO_SRC / "odoo" / "addons")
    )


def compose_service(name):
    """The lines of one service of docker-compose.yml (2-space indented block)."""
    lines = COMPOSE.read_text().splitlines()
    start = lines.index(f"  {name}:")
    block = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line)
    return block


class TestDocker(unittest.TestCase):
    def test_python_dependencies_are_installed_with_the_tested_pins(self):
        image = pins(DOCKER_REQUIREMENTS)
        tested = pins(REPO / "requirements.txt")
        dependencies = declared("python")
        self.assertTrue(dependencies, "no module declares a Python dependency")
        for dependency, modules in dependencies.items():
            name = normalise(re.split(r"[<>=!~;\[ ]", dependency, maxsplit=1)[0])
            self.assertIn(
                name,
                image,
                f"{dependency} (external dependency of {', '.join(modules)}) is not in "
                "docker/requirements.txt",
            )
        for name, version in image.items():
            self.assertEqual(
                tested.get(name),
                version,
                f"docker/requirements.txt pins {name}=={version}, requirements.txt "
                f"{tested.get(name) or 'does not pin it'}: the image would run other "
                "versions than the tests",
            )

    def test_dockerfile_installs_the_requirements(self):
        instructions = dockerfile_instructions()
        copied = [
            line.split()[-1]
            for line in instructions
            if line.startswith("COPY ") and "docker/requirements.txt" in line.split()
        ]
        self.assertEqual(len(copied), 1, "the Dockerfile must COPY docker/requirements.txt")
        self.assertTrue(
            any(
                line.startswith("RUN ") and re.search(rf"pip install .*-r {copied[0]}", line)
                for line in instructions
            ),
            f"no RUN pip install -r {copied[0]} in the Dockerfile",
        )

    def test_programs_are_installed(self):
        apt_lines = " ".join(
            line for line in dockerfile_instructions() if "apt-get install" in line
        )
        for program, modules in declared("bin").items():
            self.assertRegex(
                apt_lines,
                rf"\b{re.escape(program)}\b",
                f"program {program} (external dependency of {', '.join(modules)}) is not "
                "apt-installed by the Dockerfile",
            )

    def test_dockerfile_is_odoo_18_with_every_module(self):
        instructions = dockerfile_instructions()
        self.assertIn("ARG ODOO_IMAGE=odoo:18.0", instructions)
        self.assertIn("FROM ${ODOO_IMAGE}", instructions)
        copies = {tuple(line.split()[-2:]) for line in instructions if line.startswith("COPY ")}
        for module in suite_modules():
            self.assertIn((module, f"/mnt/extra-addons/{module}"), copies)
        self.assertTrue(
            any("check_manifest_dependencies" in line for line in instructions),
            "the build must run Odoo's external-dependency check",
        )
        conf = (REPO / "docker" / "odoo.conf").read_text()
        self.assertRegex(conf, r"(?m)^addons_path = /mnt/extra-addons$")

    def test_build_context_lets_every_copy_source_through(self):
        lines = (REPO / ".dockerignore").read_text().splitlines()
        patterns = [line.strip() for line in lines if line.strip() and line[0] != "#"]
        self.assertEqual(patterns[0], "*", "the context is the repository: send only sources")
        sources = [
            line.split()[-2]
            for line in dockerfile_instructions()
            if line.startswith("COPY ") and "--from" not in line
        ]
        for source in sources:
            self.assertIn(f"!{source}", patterns, f".dockerignore keeps {source} out")

    def test_compose_builds_the_dockerfile(self):
        odoo = [line.strip() for line in compose_service("odoo")]
        self.assertIn("build:", odoo)
        build = odoo[odoo.index("build:") + 1 : odoo.index("build:") + 3]
        self.assertEqual(sorted(build), ["context: .", "dockerfile: docker/Dockerfile"])
        self.assertNotIn("image: odoo:18.0", odoo, "the stock image lacks the packages")
        self.assertIn("image: postgres:16", [line.strip() for line in compose_service("db")])
        self.assertIn('profiles: ["n8n"]', [line.strip() for line in compose_service("n8n")])

    def test_install_commands_name_existing_modules(self):
        suite = set(suite_modules())
        for path in INSTALL_DOCS:
            commands = install_commands(path)
            if path != REPO / "README.md":
                self.assertTrue(commands, f"{path.name}: no install command found")
            for modules in commands:
                missing = [name for name in modules if not odoo_module_exists(name)]
                self.assertFalse(missing, f"{path.relative_to(REPO)} installs {missing}")
                if path != REPO / "README.md":
                    self.assertEqual(
                        suite - set(modules),
                        set(),
                        f"{path.relative_to(REPO)}: the install command leaves modules out",
                    )

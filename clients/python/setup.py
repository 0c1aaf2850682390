"""Builds the gridrl client, generating the gRPC stubs from the project's proto/ at build time.

The .proto files are the single source of truth; nothing generated is committed. The proto folder
is found at ../../proto (a checkout of the repository) or at $GRIDRL_PROTO_DIR.
"""
import os
import pathlib

from setuptools import Command, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

HERE = pathlib.Path(__file__).resolve().parent


def proto_dir() -> pathlib.Path:
    candidates = [os.environ.get("GRIDRL_PROTO_DIR"), HERE.parent.parent / "proto"]
    for c in candidates:
        if c and (pathlib.Path(c) / "gridrl" / "v1").is_dir():
            return pathlib.Path(c)
    raise RuntimeError(
        "gridrl: cannot find the proto folder (looked at ../../proto); set GRIDRL_PROTO_DIR"
    )


def generate(out_dir: pathlib.Path) -> None:
    from grpc_tools import protoc  # a build requirement
    import importlib.resources

    src = proto_dir()
    protos = sorted(str(p.relative_to(src)) for p in (src / "gridrl" / "v1").glob("*.proto"))
    include = str(importlib.resources.files("grpc_tools") / "_proto")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{src}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", f"--pyi_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise RuntimeError("gridrl: protoc failed on " + ", ".join(protos))
    # gridrl/v1 becomes a sub-package of the client package.
    for pkg in (out_dir / "gridrl" / "v1",):
        (pkg / "__init__.py").touch()


class BuildPyWithProtos(build_py):
    def run(self):
        super().run()
        generate(pathlib.Path(self.build_lib))


class GenerateProtos(Command):
    """`python setup.py generate_protos`: stubs into the source tree (for working in place)."""

    user_options = []

    def initialize_options(self):
        pass

    def finalize_options(self):
        pass

    def run(self):
        generate(HERE)


class DevelopWithProtos(develop):
    def run(self):
        generate(HERE)
        super().run()


setup(cmdclass={"build_py": BuildPyWithProtos, "generate_protos": GenerateProtos,
                "develop": DevelopWithProtos})

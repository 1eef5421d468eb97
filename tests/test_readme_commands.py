"""The README's stage-by-stage commands are exactly the commands `python pipeline.py` runs."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_stage_commands() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("## Running each stage by hand", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in lines if line.startswith("python ")]


def test_readme_commands_are_the_pipeline_commands(tmp_path):
    # a fresh --run-dir would print different paths: run from a folder where runs/default does not exist
    result = subprocess.run([sys.executable, os.path.join(ROOT, "pipeline.py"), "--dry-run"], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    printed = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("== ")]
    assert printed == readme_stage_commands()
    assert not os.path.exists(tmp_path / "runs")  # a dry run writes nothing

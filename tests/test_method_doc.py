"""METHOD.md stays true: its worked example is what the code computes, and every `file.py:function`
it names exists."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHOD_MD = os.path.join(ROOT, "METHOD.md")


def test_the_worked_example_is_what_the_code_computes():
    printed = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "worked_example.py")],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(METHOD_MD, encoding="utf-8") as f:
        doc = f.read()
    shown = doc.split("<!-- worked example: start -->", 1)[1].split("<!-- worked example: end -->", 1)[0].strip()
    assert shown == printed, "METHOD.md's worked example is stale: run python experiments/worked_example.py --write"


def test_every_function_named_in_method_md_exists():
    with open(METHOD_MD, encoding="utf-8") as f:
        names = set(re.findall(r"`(\w+)\.py:(\w+)`", f.read()))
    assert len(names) > 20
    for module, function in sorted(names):
        with open(os.path.join(ROOT, f"{module}.py"), encoding="utf-8") as f:
            source = f.read()
        assert re.search(rf"^(def|class) {function}\b", source, re.MULTILINE), f"{module}.py has no {function}"

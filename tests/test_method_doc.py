"""METHOD.md stays true: its worked example is what the code computes, every `file.py:function`
it names exists, and every section of METHOD.md, README.md or RESULTS.md that the project cites exists."""
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


DOCS = ("METHOD", "README", "RESULTS")
SECTION_REFERENCE = re.compile(r'\b(METHOD|README|RESULTS)(?:\.md)?,\s+"([^"\n]+)"')
UNRESOLVABLE = re.compile(r"\b(?:METHOD|README|RESULTS)\.md(?:,|'s)\s+(?:stage|section|step|part|last|first)\b")


def project_texts():
    """(path, text) of every Python, Markdown and shell file of the project (not .venv, runs or hidden folders)."""
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in ("runs", "__pycache__")]
        for name in files:
            if name.endswith((".py", ".md", ".sh")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    yield os.path.relpath(path, ROOT), f.read()


def headings(doc: str) -> set[str]:
    with open(os.path.join(ROOT, f"{doc}.md"), encoding="utf-8") as f:
        return {line.lstrip("#").strip() for line in f if line.startswith("#")}


def test_every_section_cited_exists_as_a_heading():
    """A reference such as `METHOD.md, "The equations"` names a heading of that file; a section
    named by number or position ("METHOD.md, stage 2", "METHOD.md's last column") is not allowed."""
    titles = {doc: headings(doc) for doc in DOCS}
    cited, unresolvable = [], []
    for path, text in project_texts():
        if path == os.path.relpath(os.path.abspath(__file__), ROOT):
            continue  # this docstring's examples
        cited += [(path, doc, title) for doc, title in SECTION_REFERENCE.findall(text)]
        unresolvable += [(path, match) for match in UNRESOLVABLE.findall(text)]
    assert len(cited) >= 8
    assert [(path, doc, title) for path, doc, title in cited if title not in titles[doc]] == []
    assert unresolvable == []

"""The documentation: the README fits on a page, docs/ builds with ``mkdocs build --strict``
(as CI runs it), and the pages speak to users (no issue numbers, no remarks on when or by
whom something was measured, no machine paths)."""
from __future__ import annotations

import glob
import importlib.util
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

from .utils import REPO

README = osp.join(REPO, 'README.md')


def _mkdocs_build(root: str, site: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict',
                           '--site-dir', site], cwd=root, capture_output=True, text=True,
                          timeout=300)


def _user_texts() -> list[str]:
    return [README, osp.join(REPO, 'mkdocs.yml'),
            *sorted(glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True))]


# --- the README -------------------------------------------------------------------------

def test_the_readme_fits_on_a_page_and_keeps_the_ci_test_command():
    lines = open(README, encoding='utf-8').read().splitlines()
    assert len(lines) < 200, f'README.md has {len(lines)} lines; move detail into docs/'
    # .ci/run runs "the README's test command"; the inner loop's variant is documented too
    assert 'python -m pytest -q' in lines
    assert any('-m "not slow"' in line for line in lines)


def test_the_readmes_relative_links_lead_to_files():
    text = open(README, encoding='utf-8').read()
    targets = [t for t in re.findall(r'\]\(([^)\s]+)\)', text) if '://' not in t]
    assert any(t.startswith('docs/') for t in targets)
    missing = [t for t in targets if not osp.exists(osp.join(REPO, t.split('#')[0]))]
    assert not missing, f'README.md links to missing files: {missing}'


# --- the site ---------------------------------------------------------------------------

needs_mkdocs = pytest.mark.skipif(importlib.util.find_spec('mkdocs') is None,
                                  reason='mkdocs comes with the [docs] extra')


@needs_mkdocs
def test_the_docs_build_strict(tmp_path):
    result = _mkdocs_build(REPO, str(tmp_path / 'site'))
    assert result.returncode == 0, result.stderr[-3000:]
    pages = sorted(osp.relpath(p, osp.join(REPO, 'docs'))
                   for p in glob.glob(osp.join(REPO, 'docs', '*.md')))
    for page in pages:   # every page was rendered (none was left out of the nav silently)
        name = 'index.html' if page == 'index.md' else osp.join(page[:-3], 'index.html')
        assert (tmp_path / 'site' / name).exists(), page


def test_the_nav_names_every_required_page():
    import yaml
    config = yaml.safe_load(open(osp.join(REPO, 'mkdocs.yml'), encoding='utf-8'))
    nav = {page for entry in config['nav'] for page in entry.values()}
    assert {'index.md', 'methods.md', 'configs.md', 'serving.md', 'export.md',
            'performance.md', 'reproducing.md', 'reliability.md', 'plugins.md',
            'testing.md'} <= nav


def _break_link(docs):
    page = docs / 'testing.md'
    page.write_text(page.read_text(encoding='utf-8') + '\n[gone](no-such-page.md)\n',
                    encoding='utf-8')


def _break_anchor(docs):
    page = docs / 'testing.md'
    page.write_text(page.read_text(encoding='utf-8')
                    + '\n[gone](reliability.md#no-such-heading)\n', encoding='utf-8')


def _nav_to_missing_page(docs):
    config = docs.parent / 'mkdocs.yml'
    config.write_text(config.read_text(encoding='utf-8').replace(
        '  - Testing: testing.md', '  - Testing: testing.md\n  - Gone: gone.md'),
        encoding='utf-8')


def _page_outside_nav(docs):
    (docs / 'orphan.md').write_text('# Orphan\n', encoding='utf-8')


@needs_mkdocs
@pytest.mark.parametrize('fault, named', [(_break_link, 'no-such-page.md'),
                                          (_break_anchor, 'no-such-heading'),
                                          (_nav_to_missing_page, 'gone.md'),
                                          (_page_outside_nav, 'orphan.md')],
                         ids=['broken link', 'broken anchor', 'nav to a missing page',
                              'page outside the nav'])
def test_the_strict_build_fails_on(tmp_path, fault, named):
    """The check above can fail: a copy of the docs with one fault does not build."""
    root = tmp_path / 'repo'
    shutil.copytree(osp.join(REPO, 'docs'), root / 'docs')
    shutil.copy(osp.join(REPO, 'mkdocs.yml'), root / 'mkdocs.yml')
    fault(root / 'docs')
    result = _mkdocs_build(str(root), str(tmp_path / 'site'))
    assert result.returncode != 0
    assert named in result.stderr, result.stderr[-3000:]


# --- the words --------------------------------------------------------------------------

# An upstream project's issue is fine ("LaMa issue #84", "its issue #7",
# "advimman/lama issue #84"); this project's own are not ("issue 18", "(#18)").
_UPSTREAM = re.compile(r"(?:\b(?!(?:The|This|Our|See|An?|In)\b)[A-Z][\w.-]*|[\w.-]+'s|\bits"
                       r"|[\w.-]+/[\w.-]+)\s+(?:issue|PR|pull\s+request)\s+$")
FORBIDDEN = {   # phrases may wrap across lines, hence \s+
    'an issue number of this project': re.compile(r'(?i)\bissues?(?:\s+|-)\d+'),
    'a session remark': re.compile(
        r"(?i)\bthis\s+session\b|\b(?:this|last|previous|next)\s+(?:round|turn|session)\b"
        r"|\b(?:turn|round)\s+\d+\b|\bthe\s+issue\b"),
    'a machine path': re.compile(r'(?<![\w.~])/(?:tmp|work|root|home|Users)/|[A-Za-z]:\\Users'),
}


def problems(text: str) -> list[tuple[int, str]]:
    """What in ``text`` does not speak to users: ``(offset, '<kind>: <match>')`` pairs."""
    found = [(m.start(), f'{kind}: {m.group(0)!r}') for kind, pattern in FORBIDDEN.items()
             for m in pattern.finditer(text)]
    for m in re.finditer(r'(?<![\w&/#])#\d+\b', text):
        if not _UPSTREAM.search(text[max(0, m.start() - 60):m.start()]):
            found.append((m.start(), f'an issue number of this project: {m.group(0)!r}'))
    return sorted(found)


@pytest.mark.parametrize('text', [
    'Performance (issue 18): against the peers', 'see issue-23', 'as issues 23 and 27 ask',
    'fixed in #18', 'The issue #18 target', 'Measured in this session', 'in this\nsession',
    'in the last round', 'Traps found (turn 2)', 'see "Round 2" of the README',
    "not the 8.7 s of the issue's machine", '--peer-mmagic /tmp/mmagic', 'cd /work/main',
    'weights in /root/.cache/torch', 'C:\\Users\\me\\lama'])
def test_the_word_check_catches(text):
    assert problems(text), text


@pytest.mark.parametrize('text', [
    'most runtimes other than onnxruntime lack (LaMa issue #84)', 'its issue #7 says so',
    "mmagic's PR #12", 'advimman/lama issue #84', 'advimman/lama#84', 'LaMa\nissue #84',
    'the API at /docs', "_base_ = ['/path/to/configs/x.py']", 'best of 3 rounds',
    'the `#` of a comment', '$TORCH_HOME/hub/checkpoints/', 'issues a warning'])
def test_the_word_check_spares(text):
    assert not problems(text), problems(text)


@pytest.mark.parametrize('path', _user_texts(), ids=lambda p: osp.relpath(p, REPO))
def test_the_docs_speak_to_users(path):
    text = open(path, encoding='utf-8').read()
    found = [f'{osp.relpath(path, REPO)}:{text.count(chr(10), 0, offset) + 1}: {what}'
             for offset, what in problems(text)]
    assert not found, '\n'.join(found)

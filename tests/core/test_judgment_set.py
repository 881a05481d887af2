"""The judgment dev/test set (bench/judgment/) and its benchmark: in sync, well formed, honestly split."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "judgment"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build = _load("judgment_build", DATA / "build.py")
quality = _load("judgment_quality", ROOT / "bench" / "judgment_quality.py")


def test_the_jsonl_files_are_what_the_sources_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--check"]) == 0, capsys.readouterr().err


def test_a_bad_source_block_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("@ routine en esc\nC: hi\n")  # routine is not a must-escalate family
    with pytest.raises(build.SourceError, match=r"x.txt:1: family 'routine' is not a must-escalate family"):
        build.parse_source(bad)
    bad.write_text("@ safety en esc immediate\nA 0.9: hello\n")
    with pytest.raises(build.SourceError, match="needs a customer turn"):
        build.parse_source(bad)


def test_every_line_is_backtest_input_with_labels_and_tags() -> None:
    seen: set[str] = set()
    for split in ("dev", "test"):
        convs = quality.load_split(split)
        for c in convs:
            assert c.id not in seen
            seen.add(c.id)
            assert c.tags["split"] == split
            assert c.tags["language"] in build.LANGUAGES
            fams = build.FAMILIES_ESCALATE if c.label_escalate else build.FAMILIES_NOT
            assert c.tags["family"] in fams
    assert len(seen) >= 500


def test_the_split_is_stratified_by_family_and_direction() -> None:
    counts: Counter[tuple[str, bool, str]] = Counter()
    for split in ("dev", "test"):
        for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            counts[(d["tags"]["family"], d["label"]["escalate"], split)] += 1
    strata = {(f, e) for f, e, _ in counts}
    for fam, esc in strata:
        dev, test = counts[(fam, esc, "dev")], counts[(fam, esc, "test")]
        assert test > 0 and 0.5 <= dev / (dev + test) <= 0.7, (fam, esc, dev, test)


def test_the_benchmark_reports_every_family_split_and_language() -> None:
    report = quality.run("dev", bitext_path=Path(""))
    assert report["bitext"] is None
    assert set(report["splits"]) == {"dev", "test", "all"}
    assert report["splits"]["all"]["conversations"] == sum(
        report["splits"][s]["conversations"] for s in ("dev", "test")
    )
    fams = report["detail"]["families"]
    for fam in build.FAMILIES_ESCALATE:
        key = "business_context (escalate)" if fam == "business_context" else fam
        assert fams[key]["direction"] == "escalate" and fams[key]["n"] > 0
    assert fams["routine"]["direction"] == "not" and fams["tricky_routine"]["n"] > 0
    assert "non_english (derived)" in fams
    assert set(report["detail"]["languages"]) == set(build.LANGUAGES)
    s = report["detail"]["must_escalate"]
    assert 0 <= s["escalated"] <= s["n"]

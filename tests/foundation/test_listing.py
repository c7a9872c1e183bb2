"""``list_vendor_files``: the one walk every plugin's ``pointline_discover`` uses.

Real folders, links and files on a temp dir. What a plugin then makes of each entry is tested
in the plugins (tardis and quant360 link tests, the robustness test's unlistable folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pointline_core.listing import BROKEN_LINK, Listed, list_vendor_files


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_every_file_once_sorted_with_paths_relative_to_the_bronze_root(tmp_path):
    vendor = tmp_path / "acme"
    for rel in ("b/2.csv", "a/z/1.csv", "a/1.csv", "a.csv", "a/z/0.csv"):
        _touch(vendor / rel)
    listed = list_vendor_files(vendor, tmp_path)
    assert [item.rel_path for item in listed] == [
        "acme/a.csv",
        "acme/a/1.csv",
        "acme/a/z/0.csv",
        "acme/a/z/1.csv",
        "acme/b/2.csv",
    ]
    first = listed[1]
    assert first == Listed(vendor / "a" / "1.csv", "acme/a/1.csv", ("a", "1.csv"))
    assert first.path.is_absolute() and first.name == "1.csv"
    assert all(item.problem is None for item in listed)


def test_relative_roots_give_absolute_paths(tmp_path, monkeypatch):
    _touch(tmp_path / "acme" / "x.csv")
    monkeypatch.chdir(tmp_path)
    [item] = list_vendor_files(Path("acme"), Path("."))
    assert item.path == tmp_path / "acme" / "x.csv"
    assert item.rel_path == "acme/x.csv"


def test_a_missing_vendor_folder_lists_nothing(tmp_path):
    assert list_vendor_files(tmp_path / "acme", tmp_path) == []
    _touch(tmp_path / "acme")  # a file where the folder should be
    assert list_vendor_files(tmp_path / "acme", tmp_path) == []


def test_links_are_followed_once_and_what_is_not_listed_says_why(tmp_path):
    vendor = tmp_path / "acme"
    _touch(vendor / "day" / "x.csv")
    outside = _touch(tmp_path / "elsewhere" / "y.csv").parent
    (vendor / "linked").symlink_to(outside, target_is_directory=True)  # followed
    (vendor / "day" / "loop").symlink_to(vendor, target_is_directory=True)  # a cycle
    (vendor / "zz-again").symlink_to(vendor / "day", target_is_directory=True)  # a 2nd link
    (vendor / "gone.csv").symlink_to(tmp_path / "nowhere")
    listed = {item.rel_path: item.problem for item in list_vendor_files(vendor, tmp_path)}
    assert listed["acme/day/x.csv"] is None
    assert listed["acme/linked/y.csv"] is None
    assert listed["acme/gone.csv"] == BROKEN_LINK
    assert "already scanned as '.'" in (listed["acme/day/loop"] or "")
    assert "already scanned as 'day'" in (listed["acme/zz-again"] or "")
    assert set(listed) == {
        "acme/day/x.csv",
        "acme/linked/y.csv",
        "acme/gone.csv",
        "acme/day/loop",
        "acme/zz-again",
    }


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_which_of_two_links_counts_first_does_not_depend_on_creation_order(tmp_path, order):
    vendor = tmp_path / "acme"
    target = _touch(tmp_path / "real" / "x.csv").parent
    for name in order:
        (vendor / name).parent.mkdir(parents=True, exist_ok=True)
        (vendor / name).symlink_to(target, target_is_directory=True)
    listed = {item.rel_path: item.problem for item in list_vendor_files(vendor, tmp_path)}
    assert listed["acme/a/x.csv"] is None
    assert "already scanned as 'a'" in (listed["acme/b"] or "")

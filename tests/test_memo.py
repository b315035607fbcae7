"""Pickled build products: reused while their inputs are the same, rebuilt when a file they
come from changes, and a damaged pickle costs only a rebuild."""

from __future__ import annotations

from mirlens.memo import memo_key, memoised


def test_a_product_is_built_once_and_rebuilt_when_its_file_changes(tmp_path):
    source = tmp_path / "gene_info.txt"
    source.write_text("1\tA1BG\n")
    builds = []

    def product(key: str) -> list[str]:
        def build() -> list[str]:
            builds.append(key)
            return source.read_text().split()

        return memoised(tmp_path / "cache" / f"{key}.pickle", build)

    key = memo_key("test", ["memo.py"], [str(source), 9606])
    assert product(key) == product(key) == ["1", "A1BG"]
    assert builds == [key]
    source.write_text("2\tA2M\n")
    new_key = memo_key("test", ["memo.py"], [str(source), 9606])
    assert new_key != key and memo_key("test", ["memo.py"], [str(source), 10090]) != new_key
    assert product(new_key) == ["2", "A2M"] and builds == [key, new_key]
    (tmp_path / "cache" / f"{new_key}.pickle").write_bytes(b"not a pickle")
    assert product(new_key) == ["2", "A2M"] and len(builds) == 3
    assert memoised(None, lambda: "no cache") == "no cache"

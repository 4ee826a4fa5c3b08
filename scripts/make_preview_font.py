#!/usr/bin/env python3
"""Subsets Noto Sans CJK JP (SIL Open Font License 1.1) for `techo preview`.

Keeps ASCII, kana, JIS X 0208 level-1 kanji (the common ones in names and addresses) and every
character that appears in Techo's sources and fixtures, so desktop previews render without a
system font. Needs Debian's fonts-noto-cjk and fonttools (pip). The result is committed.
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
OUT = ROOT / "fixtures" / "fonts" / "NotoSansCJKjp-Bold-subset.otf"


def jis_level1():
    chars = []
    for hi in range(0x88, 0x99):
        for lo in list(range(0x40, 0x7F)) + list(range(0x80, 0xFD)):
            try:
                chars.append(bytes([hi, lo]).decode("shift_jis"))
            except UnicodeDecodeError:
                pass
    return chars


def repo_chars():
    found = set()
    for pattern in ["core/src/**/*.rs", "cli/src/**/*.rs", "fixtures/**/*.toml", "fixtures/portal/*.json"]:
        for path in ROOT.glob(pattern):
            found.update(path.read_text(encoding="utf-8"))
    return found


def main():
    text = set(chr(c) for c in range(0x20, 0x7F))
    text.update(chr(c) for c in range(0x3000, 0x3100))  # punctuation, hiragana, katakana
    text.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    text.update("●◆■✔✘▶—–…・◯✕△※→·")
    text.update(jis_level1())
    text.update(c for c in repo_chars() if ord(c) > 0x7F)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    listing = OUT.with_suffix(".chars.txt")
    listing.write_text("".join(sorted(text)), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "fontTools.subset", str(SOURCE), "--font-number=0",
         f"--text-file={listing}", f"--output-file={OUT}", "--layout-features=*", "--no-hinting"],
        check=True,
    )
    listing.unlink()
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

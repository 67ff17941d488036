"""The ``c`` export format: a C header for TensorFlow Lite Micro, checked by a real compiler.

The session's export of the trained digits CNN run (every format, every variant; see
conftest.py) serves every test here: the headers are compiled again in the test, independently of
the format's own check, as C11, C99 and C++17, into programs that write the array back
out; those bytes must be the ``.tflite`` the same export wrote, byte for byte.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from engine.export.formats import formats
from engine.export.formats.c_header import c_name, check

VARIANTS = {"float32": ("model.tflite", "model.h", "model_tflite"),
            "int8": ("model_int8.tflite", "model_int8.h", "model_int8_tflite")}
GCC = shutil.which("gcc") or shutil.which("cc")
GXX = shutil.which("g++") or shutil.which("c++")
DUMP = """#include <stdint.h>
#include <stdio.h>
#include "{header}"
int main(void) {{
  if (((uintptr_t){name} % 16) != 0) return 3;
  if (sizeof({name}) != {name}_len) return 4;
  return fwrite({name}, 1, {name}_len, stdout) == {name}_len ? 0 : 5;
}}
"""


@pytest.fixture(scope="module")
def exported(export_of):
    """digits_cnn's run exported to every format (the session's export, shared with the other tests)."""
    _run, result = export_of("digits_cnn")
    assert not result.errors, result.errors
    return result, {(a.format, a.variant): a for a in result.artifacts}


def _dump(compiler, header, name, tmp_path, std, suffix):
    src, exe = tmp_path / f"dump_{std}{suffix}", tmp_path / f"dump_{std}"
    src.write_text(DUMP.format(header=header.name, name=name), encoding="utf-8")
    subprocess.run([compiler, f"-std={std}", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", str(header.parent),
                    str(src), "-o", str(exe)], check=True, capture_output=True, timeout=300)
    ran = subprocess.run([str(exe)], capture_output=True, timeout=60)
    assert ran.returncode == 0, f"{std}: exit {ran.returncode} (3: misaligned, 4: wrong _len)"
    return ran.stdout


def test_the_format_is_registered():
    fmt = formats()["c"]
    assert fmt.family == "tflite" and fmt.variants and fmt.title == "C header (TFLite Micro)"
    assert fmt.file_name("model", "float32") == "model.h" and fmt.file_name("model", "int8") == "model_int8.h"


def test_the_checks_compile_compare_and_run_the_header(exported):
    _, art = exported
    for variant, (tflite, _, _) in VARIANTS.items():
        c, t = art[("c", variant)], art[("tflite", variant)]
        size = (t.path.parent / tflite).stat().st_size
        assert c.message.startswith(f"cc: compiled (C11), {size:,} bytes identical to the .tflite, 16-byte "
                                    f"aligned; LiteRT interpreter ({variant}): "), c.message
        # the interpreter's verdict on the bytes read back from the C program is the .tflite's own
        assert c.message.split("; ", 1)[1] == t.message and c.ok == t.ok
        assert c.details["input"] == t.details["input"]
    assert art[("c", "float32")].ok  # float32: matches the Keras model to 1e-4
    assert art[("c", "int8")].ok and "class agreement" in art[("c", "int8")].message  # trained: >= 97%


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_header_compiles_as_c11_c99_and_cxx_to_the_tflite_bytes(exported, variant, tmp_path):
    result, _ = exported
    tflite, header, name = VARIANTS[variant]
    expected = (result.out_dir / tflite).read_bytes()
    if GCC is None:
        pytest.fail("no C compiler (gcc or cc) on this machine")
    for std in ("c11", "c99"):
        assert _dump(GCC, result.out_dir / header, name, tmp_path, std, ".c") == expected, std
    if GXX is not None:
        assert _dump(GXX, result.out_dir / header, name, tmp_path, "c++17", ".cpp") == expected


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_header_names_its_symbols_alignment_and_arena(exported, variant):
    result, art = exported
    tflite, header, name = VARIANTS[variant]
    text = (result.out_dir / header).read_text(encoding="ascii")
    size = (result.out_dir / tflite).stat().st_size
    details = art[("c", variant)].details
    macro = name.upper()
    assert name == c_name(header) and details["c_array"] == name
    assert f"#ifndef SPROUT_{macro}_H\n#define SPROUT_{macro}_H\n" in text
    assert f"{macro}_ALIGN {macro}_LINKAGE const unsigned char {name}[] = {{\n" in text
    assert f"{macro}_LINKAGE const unsigned int {name}_len = {size}u;" in text
    assert f"#define {macro}_ALIGN alignas(16)" in text and f"#define {macro}_ALIGN _Alignas(16)" in text
    assert f"#define {macro}_ALIGN __attribute__((aligned(16)))" in text
    rows = re.findall(r"^  ((?:0x[0-9a-f]{2}, ){11}0x[0-9a-f]{2}),?$", text, re.M)
    assert len(rows) == size // 12  # 12 bytes a line (and one shorter last line when size % 12)
    arena = details["arena_bytes"]
    assert f"Tensor arena: at least {arena:,} bytes ({macro}_ARENA_BYTES). This is an ESTIMATE" in text
    assert f"#define {macro}_ARENA_BYTES {arena}\n" in text
    assert "not TFLM's own memory planner" in text and "arena_used_bytes()" in text
    assert f"tflite::GetModel({name})" in text and "MicroInterpreter interpreter(model, resolver" in text
    assert "resolver.AddConv2D();" in text and "resolver.AddFullyConnected();" in text
    assert f"from the TFLite model, variant {variant}" in text
    # the estimate: at least the peak of live tensors, which holds at least the input and the output
    peak = details["arena_peak_bytes"]
    assert arena == peak + details["arena_margin_bytes"] and arena % 16 == 0
    itemsize = 4 if variant == "float32" else 1
    assert peak >= (64 + 10) * itemsize and peak < details["activation_bytes"]
    assert details["tflite_bytes"] == size and details["header_bytes"] == len(text.encode())
    if variant == "int8":
        assert re.search(r"Input 0: .*, shape \[1, 8, 8, 1\], int8\n \*   scale [0-9.e-]+, zero point -?\d+: "
                         r"q = round\(x / scale\) \+ zero_point", text)


def test_a_header_that_differs_from_the_tflite_fails_its_check(exported, tmp_path):
    result, _ = exported

    class Context:  # what check reads of the converter's context, for a file that cannot match
        def __init__(self):
            self.details = {}

        def tflite(self, variant):
            return (result.out_dir / "model_int8.tflite").read_bytes()

    text = (result.out_dir / "model_int8.h").read_text(encoding="ascii")
    bad = tmp_path / "model_int8.h"
    bad.write_text(text.replace("0x54, 0x46, 0x4c, 0x33", "0x54, 0x46, 0x4c, 0x34", 1), encoding="ascii")
    got = check(Context(), "int8", bad)
    assert not got.ok and "differs from the .tflite" in got.message and "from byte 7" in got.message


def test_without_a_c_compiler_the_check_fails_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    got = check(None, "float32", tmp_path / "model.h")
    assert not got.ok and "no C compiler found" in got.message


@pytest.mark.parametrize(("file", "name"), [("model_int8.h", "model_int8_tflite"), ("my-model.h", "my_model_tflite"),
                                            ("3d_net_float16.h", "m_3d_net_float16_tflite")])
def test_the_array_name_is_a_c_identifier(file, name):
    assert c_name(file) == name and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)

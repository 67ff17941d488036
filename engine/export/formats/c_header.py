"""C header for TensorFlow Lite Micro (``.h``): the ``.tflite`` of a variant as a byte array.

The header defines ``const unsigned char NAME[]`` (16-byte aligned, as TFLM wants its
model) and ``const unsigned int NAME_len``; it compiles as C99, C11 and C++. Its comment
says the inputs and outputs, the ops to register and the tensor arena to give the
interpreter (estimated by :mod:`engine.export.arena`).

Checked by the system C compiler and the LiteRT interpreter: a small program that
includes the header is compiled (``-std=c11 -Wall -Wextra -pedantic -Werror``) and run; it
writes the array back out, which must be byte-identical to the ``.tflite`` (and 16-byte
aligned). Those bytes then run in the LiteRT interpreter, judged as the ``.tflite`` is.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from engine import atomic
from engine.export.formats import Check, ExportFormat, variant_suffix

COMPILERS = ("cc", "gcc", "clang")
COMPILE_TIMEOUT = 300  # seconds: a multi-megabyte array takes a while to compile
RUN_TIMEOUT = 60
BYTES_PER_LINE = 12
WIDTH = 96  # the comment block's line width
VARIANT_WORDS = {"float32": "float32", "float16": "float16, half-precision weights dequantized at run time",
                 "dynamic": "dynamic range, int8 weights and float activations",
                 "int8": "int8, full integer quantization"}
VARIANT_NOTES = {"float16": "Note: TFLM runs float32 and int8 models; its DEQUANTIZE may not take the float16 "
                            "weights of this variant (and they take float32 room in the arena once dequantized).",
                 "dynamic": "Note: TFLM runs float32 and int8 models; the hybrid (int8-weight, float-activation) "
                            "kernels of this variant may be missing from it."}
_HEX = [f"0x{b:02x}" for b in range(256)]

_PROGRAM = """#include <stdint.h>
#include <stdio.h>
#include "{header}"

int main(void) {{
  if (((uintptr_t){name} % 16) != 0) {{
    fprintf(stderr, "{name} is not 16-byte aligned\\n");
    return 3;
  }}
  if (fwrite({name}, 1, {name}_len, stdout) != {name}_len) return 4;
  return fflush(stdout) == 0 ? 0 : 5;
}}
"""


def c_name(file_name: str) -> str:
    """The array's C identifier: ``model_int8.h`` -> ``model_int8_tflite``."""
    stem = re.sub(r"[^0-9A-Za-z_]", "_", Path(file_name).name.split(".")[0]) or "model"
    return f"{'m_' if stem[0].isdigit() or stem[0] == '_' else ''}{stem}_tflite"


def _safe(text: str) -> str:
    """Text that cannot end a C comment, splice a line or form a trigraph."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?").replace("\\", "/")


def _resolver_method(op: str) -> str:
    """``MAX_POOL_2D`` -> ``AddMaxPool2D`` (the MicroMutableOpResolver method)."""
    special = {"UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTM", "BATCH_MATMUL": "BatchMatMul",
               "PADV2": "PadV2"}
    return "Add" + special.get(op, "".join(p if p[:1].isdigit() else p.capitalize() for p in op.split("_")))


def _tensor_lines(kind: str, tensors: list[dict]) -> list[str]:
    lines = []
    for i, t in enumerate(tensors):
        lines.append(f"{kind} {i}: {_safe(t['name'])}, shape {t['shape']}, {t['dtype']}")
        if t["scale"]:
            lines.append(f"  scale {t['scale']:.8g}, zero point {t['zero_point']}: "
                         + ("q = round(x / scale) + zero_point" if kind == "Input" else "x = (q - zero_point) * scale"))
    return lines


def _para(text: str, bullet: bool = False) -> list[str]:
    """``text`` wrapped to the comment's width (as a ``- `` item when ``bullet``)."""
    return textwrap.wrap(text, WIDTH, initial_indent="- " if bullet else "", subsequent_indent="  ")


def header_text(content: bytes, name: str, file_name: str, variant: str, estimate, notes: list[str] = ()) -> str:
    """The whole header: include guard, comment block, alignment macro and the array."""
    from engine.export import arena

    guard, macro = f"SPROUT_{name.upper()}_H", name.upper()
    ops = list(dict.fromkeys(estimate.ops))
    e = estimate
    tflite = file_name.rsplit(".", 1)[0] + ".tflite"
    margin = (f"plus a margin of {e.margin_bytes:,} bytes: kernel scratch ({e.scratch_bytes:,} bytes, the largest "
              "scratch tensor LiteRT's kernels allocated: TFLM's reference kernels need less or none, optimized "
              f"ones such as CMSIS-NN some), TFLM's bookkeeping ({arena.OVERHEAD_FIXED:,} bytes, "
              f"{arena.OVERHEAD_PER_TENSOR} a tensor, {arena.OVERHEAD_PER_OP} an op, {arena.PER_CHANNEL_BYTES} an "
              f"output channel of quantized convolutions) and {arena.FRAGMENTATION:.0%} of the peak for the "
              "greedy planner's fragmentation.")
    comment = [
        f"{file_name}: a TensorFlow Lite model as a C array, for TensorFlow Lite Micro (TFLM).",
        f"Generated by Sprout from the TFLite model, variant {VARIANT_WORDS.get(variant, variant)}:",
        f"{len(content):,} bytes, the same bytes as {tflite} when that is exported too.", "",
        *_tensor_lines("Input", e.inputs), *_tensor_lines("Output", e.outputs), *notes, "",
        *_para(f"Ops ({len(e.ops)} in execution order): {', '.join(e.ops)}"), "",
        f"Tensor arena: at least {e.arena_bytes:,} bytes ({macro}_ARENA_BYTES). This is an ESTIMATE from",
        "the LiteRT interpreter's tensor table, not TFLM's own memory planner:",
        *_para(f"peak of the live non-constant tensors over the op order: {e.peak_bytes:,} bytes (during op "
               f"{e.peak_op}); a tensor is live from the op writing it (or the start, for inputs) to the last op "
               f"reading it (or the end, for outputs), each rounded up to 16 bytes ({e.activation_bytes:,} bytes "
               f"if no two tensors shared memory); the constants ({e.constant_bytes:,} bytes) stay in flash, in "
               "this array;", bullet=True),
        *_para(margin, bullet=True),
        "After AllocateTensors(), interpreter.arena_used_bytes() gives the exact figure; trim to it.", "",
        "Use with TFLM (C++):",
        '  #include "tensorflow/lite/micro/micro_interpreter.h"',
        '  #include "tensorflow/lite/micro/micro_mutable_op_resolver.h"',
        f'  #include "{file_name}"',
        f"  alignas(16) static uint8_t tensor_arena[{macro}_ARENA_BYTES];",
        f"  const tflite::Model* model = tflite::GetModel({name});",
        f"  static tflite::MicroMutableOpResolver<{len(ops)}> resolver;",
        *(f"  resolver.{_resolver_method(op)}();" for op in ops),
        "  static tflite::MicroInterpreter interpreter(model, resolver, tensor_arena,",
        f"                                             {macro}_ARENA_BYTES);",
        "  if (interpreter.AllocateTensors() != kTfLiteOk) { ... the log says what is missing ... }",
        "  TfLiteTensor* input = interpreter.input(0);    (fill input->data.int8 / .f, then)",
        "  interpreter.Invoke();                          (and read interpreter.output(0)->data)", "",
        "Include this header in ONE source file: it defines the array. Other files may declare",
        f"  extern const unsigned char {name}[]; extern const unsigned int {name}_len;",
    ]
    body = "\n".join(" * " + line if line else " *" for line in comment)
    data = bytes(content)
    rows = (", ".join(_HEX[b] for b in data[i:i + BYTES_PER_LINE]) for i in range(0, len(data), BYTES_PER_LINE))
    array = ",\n".join("  " + row for row in rows)
    return f"""/*
{body}
 */
#ifndef {guard}
#define {guard}

#define {macro}_ARENA_BYTES {e.arena_bytes}

/* 16-byte alignment, spelled for C++11, C11, GCC/Clang (C99) and MSVC. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define {macro}_ALIGN alignas(16)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define {macro}_ALIGN _Alignas(16)
#elif defined(__GNUC__) || defined(__clang__)
#define {macro}_ALIGN __attribute__((aligned(16)))
#elif defined(_MSC_VER)
#define {macro}_ALIGN __declspec(align(16))
#else
#error "{file_name}: no way known to align the model array to 16 bytes with this compiler"
#endif

/* C++ gives a namespace-scope const internal linkage; extern keeps it one shared definition. */
#ifdef __cplusplus
#define {macro}_LINKAGE extern
#else
#define {macro}_LINKAGE
#endif

{macro}_ALIGN {macro}_LINKAGE const unsigned char {name}[] = {{
{array}
}};
{macro}_LINKAGE const unsigned int {name}_len = {len(data)}u;

#endif /* {guard} */
"""


def write(ctx, variant, path):
    """Write the header of the variant's ``.tflite`` (converted once, shared with ``tflite``)."""
    from engine.export.arena import measure

    path = Path(path)
    content = ctx.tflite(variant)
    estimate = measure(content)
    name = c_name(path.name)
    notes = []
    if ctx.fold:
        notes.append("The model takes raw inputs: the data's preprocessing is folded into it.")
    if ctx.class_names:
        shown = ", ".join(f"{i} {_safe(repr(str(c)))}" for i, c in enumerate(ctx.class_names[:20]))
        notes += _para(f"Output 0 classes: {shown}{', ...' if len(ctx.class_names) > 20 else ''}")
    if variant in VARIANT_NOTES:
        notes += _para(VARIANT_NOTES[variant])
    text = header_text(content, name, path.name, variant, estimate, notes)
    atomic.write_text(path, text)
    ctx.details[path.name] = {"c_array": name, "arena_bytes": estimate.arena_bytes, "variant": variant,
                              "tflite_bytes": len(content), "header_bytes": len(text.encode("utf-8")),
                              "arena_method": "LiteRT tensor table liveness + margin (not TFLM's planner)",
                              **estimate.to_dict()}


def find_compiler() -> str | None:
    """The system C compiler (``cc``, ``gcc`` or ``clang``), or None."""
    return next((found for found in map(shutil.which, COMPILERS) if found), None)


def compile_and_dump(compiler: str, header: Path, name: str, flags=("-std=c11",)) -> tuple[bytes | None, str]:
    """Compile a program that includes ``header`` and writes ``name`` out; (bytes, "") or (None, why)."""
    with tempfile.TemporaryDirectory(prefix="sprout-c-") as tmp:
        src, exe = Path(tmp) / "dump.c", Path(tmp) / "dump"
        src.write_text(_PROGRAM.format(header=header.name, name=name), encoding="utf-8")
        cmd = [compiler, *flags, "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", str(header.parent), str(src),
               "-o", str(exe)]
        try:
            built = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
            if built.returncode != 0:
                lines = [ln for ln in (built.stderr or built.stdout).splitlines() if "error" in ln] or ["no output"]
                return None, f"the header does not compile: {lines[0].strip()[:300]}"
            ran = subprocess.run([str(exe)], capture_output=True, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            return None, f"timed out after {exc.timeout:g} s ({Path(str(exc.cmd[0])).name})"
        if ran.returncode != 0:
            why = ran.stderr.decode("utf-8", "replace").strip() or f"exit code {ran.returncode}"
            return None, f"the compiled program failed: {why[:300]}"
        return ran.stdout, ""


def check(ctx, variant, path):
    """Compile the header with the system C compiler, compare the bytes, then run them in LiteRT."""
    from engine.export.checks import compare, run_tflite

    path = Path(path)
    compiler = find_compiler()
    if compiler is None:
        return Check(False, f"no C compiler found ({', '.join(COMPILERS)} are not on PATH): the header was "
                            "written but not compiled")
    cc = Path(compiler).name
    got, why = compile_and_dump(compiler, path, c_name(path.name))
    if got is None:
        return Check(False, f"{cc}: {why}")
    expected = ctx.tflite(variant)
    if got != expected:
        first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        return Check(False, f"{cc}: compiled, but the array ({len(got):,} bytes) differs from the .tflite "
                            f"({len(expected):,} bytes) from byte {first:,}")
    outputs, quant = run_tflite(got, ctx.x_check)
    ctx.details.setdefault(path.name, {})["input"] = quant
    judged = compare(f"LiteRT interpreter ({variant})", [outputs], ctx.expected("tflite"), variant == "float32",
                     ctx.classification)
    message = f"{cc}: compiled (C11), {len(got):,} bytes identical to the .tflite, 16-byte aligned; {judged.message}"
    return Check(judged.ok, message, judged.max_diff, judged.agreement)


FORMAT = ExportFormat(name="c", title="C header (TFLite Micro)", client="C compiler + LiteRT interpreter",
                      family="tflite", file_name=lambda base, variant: f"{base}{variant_suffix(variant)}.h",
                      write=write, check=check, variants=True)

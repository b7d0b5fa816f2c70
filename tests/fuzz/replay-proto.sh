#!/bin/sh
# Replay the saved protocol corpus through the fuzz target (make check).
exec "${top_builddir:-.}/tests/fuzz/fuzz-proto" "${top_srcdir:-.}/tests/fuzz/corpus/proto"

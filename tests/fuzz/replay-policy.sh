#!/bin/sh
# Replay the saved policy corpus through the fuzz target (make check).
# The exit status is the replay's: any crash, sanitizer report or failed
# invariant in tests/fuzz/fuzz-policy.c fails the test.
exec "${top_builddir:-.}/tests/fuzz/fuzz-policy" "${top_srcdir:-.}/tests/fuzz/corpus/policy"

# The fuzz targets: fuzz/<name>_fuzzer.cpp, seeds in fuzz/corpus/<name>/, dictionary (if any)
# fuzz/dict/<name>.dict. Read by fuzz/CMakeLists.txt (libFuzzer) and tests/fuzz (replay, CI runs).
set(initscope_fuzz_targets bundle rawrecords elf ollamalog runconfig)

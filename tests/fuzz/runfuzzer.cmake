# cmake -DFUZZER= -DSEEDS= -DDICT= -DWORK_DIR= -DSECONDS= -P runfuzzer.cmake
# Fuzzes one target for SECONDS: new inputs go to a fresh WORK_DIR/corpus (the seed folder is
# only read), anything libFuzzer finds to WORK_DIR/artifacts. Fails on a crash, a leak, a
# sanitizer report or a hang (libFuzzer exits non-zero for each).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
set(args -max_total_time=${SECONDS} -timeout=60 -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/)
if(EXISTS ${DICT})
    list(APPEND args -dict=${DICT})
endif()
execute_process(COMMAND ${FUZZER} ${args} ${WORK_DIR}/corpus ${SEEDS} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    file(GLOB found ${WORK_DIR}/artifacts/*)
    message(FATAL_ERROR "${FUZZER} failed (${result}); what it found: ${found}. Reproduce with: ${FUZZER} <file>; "
        "fix the bug, then add the file to ${SEEDS} as crash-<what> (docs/reliability.md)")
endif()

# cmake -DSOURCE_DIR= -DBUILD_DIR= -DCC= -DCXX= -DGENERATOR= [-DMAKE_PROGRAM=] -P buildfuzzers.cmake
# Configures BUILD_DIR as the libFuzzer build (INITSCOPE_FUZZ=ON, clang) and builds the fuzz
# targets. Used by the fuzz_build test (tests/fuzz/CMakeLists.txt).
if(NOT CC OR NOT CXX OR CC MATCHES "NOTFOUND" OR CXX MATCHES "NOTFOUND")
    message(FATAL_ERROR "the fuzz targets need clang and libFuzzer, and none was found: install clang-14 and "
        "libclang-rt-14-dev (./bootstrap.sh does), or configure with -DINITSCOPE_FUZZ_TESTS=OFF")
endif()
set(configure ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -G ${GENERATOR}
    -DINITSCOPE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DCMAKE_C_COMPILER=${CC} -DCMAKE_CXX_COMPILER=${CXX})
if(MAKE_PROGRAM)
    list(APPEND configure -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
execute_process(COMMAND ${configure} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "configuring the fuzz build in ${BUILD_DIR} failed (${result})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target initscope_fuzzers RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "building the fuzz targets in ${BUILD_DIR} failed (${result})")
endif()

# check_headers.cmake — every public header compiles on its own, as C11 and as C++17.
#
#   cmake -DRL_HEADER_DIR=<include/racelab> -DRL_INCLUDE_DIRS=<dir;dir>
#         -DRL_GENERATED=<build>/include/racelab/version.h;<build>/include/racelab/config.h
#         -DRL_CC=<cc> [-DRL_CXX=<c++>] -DRL_WORK_DIR=<dir> -P check_headers.cmake
#
# For each header H (the headers of RL_HEADER_DIR, read when the test runs, so
# a new header is covered at once, plus the generated ones), one
# translation unit per language includes <racelab/H> twice (the include guard)
# and nothing else, and is compiled with -Wall -Wextra -Werror -pedantic (C also
# with racelab's own -Wshadow -Wstrict-prototypes -Wmissing-prototypes), without
# _GNU_SOURCE. Then racelab.h must reach every header. Without a C++ compiler
# the C++ half is skipped, with a message.
foreach(var RL_HEADER_DIR RL_INCLUDE_DIRS RL_GENERATED RL_CC RL_WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "check_headers.cmake: ${var} is not set")
  endif()
endforeach()

file(GLOB headers RELATIVE ${RL_HEADER_DIR} ${RL_HEADER_DIR}/*.h)
foreach(path IN LISTS RL_GENERATED)
  get_filename_component(generated ${path} NAME)
  list(APPEND headers ${generated})
endforeach()
list(REMOVE_DUPLICATES headers)
list(SORT headers)

set(includes)
foreach(dir IN LISTS RL_INCLUDE_DIRS)
  list(APPEND includes -I${dir})
endforeach()

set(c_flags -std=c11 -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
set(cxx_flags -std=c++17 -Wall -Wextra -Werror -pedantic)
set(langs c)
if(RL_CXX)
  list(APPEND langs cxx)
else()
  message(STATUS "C++: no C++ compiler found, C++17 checks skipped")
endif()

file(REMOVE_RECURSE ${RL_WORK_DIR})
file(MAKE_DIRECTORY ${RL_WORK_DIR})
set(failed)
set(passed 0)
foreach(h IN LISTS headers)
  string(MAKE_C_IDENTIFIER ${h} id)
  foreach(lang IN LISTS langs)
    if(lang STREQUAL "c")
      set(src ${RL_WORK_DIR}/${id}.c)
      set(compiler ${RL_CC})
      set(flags ${c_flags})
      set(name "C11")
    else()
      set(src ${RL_WORK_DIR}/${id}.cpp)
      set(compiler ${RL_CXX})
      set(flags ${cxx_flags})
      set(name "C++17")
    endif()
    # The typedef keeps a header of macros only (cdefs.h) from being an empty
    # translation unit, which ISO C forbids.
    file(WRITE ${src} "#include <racelab/${h}>\n#include <racelab/${h}>\ntypedef int rl_header_check;\n")
    execute_process(COMMAND ${compiler} ${flags} ${includes} -c ${src} -o ${src}.o
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0)
      math(EXPR passed "${passed} + 1")
    else()
      list(APPEND failed "${name}:${h}")
      message("FAIL ${name} racelab/${h}:\n${out}")
    endif()
  endforeach()
endforeach()

# The umbrella header reaches every header (directly or through another one).
execute_process(COMMAND ${RL_CC} -std=c11 ${includes} -M ${RL_HEADER_DIR}/racelab.h
  RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  list(APPEND failed "racelab.h:-M")
  message("FAIL racelab.h does not preprocess:\n${err}")
else()
  foreach(h IN LISTS headers)
    if(NOT deps MATCHES "racelab/${h}[ \n\\\\]" AND NOT deps MATCHES "racelab/${h}$")
      list(APPEND failed "racelab.h:${h}")
      message("FAIL racelab/racelab.h does not include racelab/${h}")
    endif()
  endforeach()
endif()

list(LENGTH headers nheaders)
list(LENGTH langs nlangs)
math(EXPR ntus "${nheaders} * ${nlangs}")
if(failed)
  list(JOIN failed ", " failed_text)
  message(FATAL_ERROR "headers: ${passed} of ${ntus} translation units compile; failed: ${failed_text}")
endif()
if(RL_CXX)
  set(langs_text "C11 and C++17")
else()
  set(langs_text "C11 only")
endif()
message("headers: all ${nheaders} public headers compile alone (${langs_text}: ${passed} translation units, -Wall -Wextra -Werror -pedantic); racelab.h includes every one")

# Shared helpers for every folder's CMakeLists.

# Warnings for project code only; third-party headers come in as SYSTEM includes.
add_library(understudy_warnings INTERFACE)
target_compile_options(understudy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough)
if(UNDERSTUDY_WERROR)
  target_compile_options(understudy_warnings INTERFACE -Werror)
endif()

# understudy_library(NAME folder [DEPS ...]): a static library from every .cpp in the folder
# (not recursing into subfolders), with the project root on the include path.
function(understudy_library name)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)  # a folder whose issue has not landed yet: headers only
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_PUBLIC})
    return()
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE understudy_warnings ${ARG_PRIVATE})
endfunction()

# understudy_test(NAME SOURCES... [LIBS ...]): a GoogleTest binary registered with ctest.
function(understudy_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} understudy_test_support GTest::gtest
                        GTest::gtest_main understudy_warnings)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

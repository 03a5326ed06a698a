# modelguard_library(<name> SOURCES <files> [PUBLIC_DEPS <targets>] [PRIVATE_DEPS <targets>])
#
# One static library per module, all made the same way: public headers under include/modelguard/<module>/,
# private headers beside the sources (included as "src/<module>/..."), warnings as errors. A dependency is
# PUBLIC only when a public header of the module includes its headers; everything else stays PRIVATE, so
# a module's users do not inherit what it uses inside.
function(modelguard_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE modelguard_warnings ${ARG_PRIVATE_DEPS})
endfunction()

# modelguard_embed(<output.inc> <input file>): the file as a C++ raw string literal, so data the binary ships
# (the default policy, the guard's signatures) works from any directory.
function(modelguard_embed output input)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${input}")
endfunction()

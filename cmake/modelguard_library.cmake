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

# modelguard_link_closure(<target> <out_var>): every library <target> ends up linking, directly or through
# its dependencies' link interfaces (PRIVATE dependencies of static libraries included: they still reach
# the final link, as $<LINK_ONLY:...>). Names that are not targets (files, flags) are listed as they are.
function(modelguard_link_closure target out_var)
  set(seen "")
  get_target_property(pending ${target} LINK_LIBRARIES)
  if(NOT pending)
    set(pending "")
  endif()
  while(pending)
    list(POP_FRONT pending item)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item STREQUAL "" OR item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    if(TARGET ${item})
      get_target_property(aliased ${item} ALIASED_TARGET)
      if(aliased)
        list(APPEND pending ${aliased})
      endif()
      get_target_property(interface ${item} INTERFACE_LINK_LIBRARIES)
      if(interface)
        list(APPEND pending ${interface})
      endif()
    endif()
  endwhile()
  set(${out_var} "${seen}" PARENT_SCOPE)
endfunction()

# modelguard_assert_links_none(<target> <regex>...): configuration fails when anything in <target>'s link
# closure matches one of the regular expressions, so a dependency cannot creep into a target that must
# stay without it (the gateway core without ICU, vectorscan or libtorch).
function(modelguard_assert_links_none target)
  modelguard_link_closure(${target} closure)
  foreach(item IN LISTS closure)
    foreach(pattern IN LISTS ARGN)
      if(item MATCHES "${pattern}")
        message(FATAL_ERROR "${target} must not link '${item}' (matches '${pattern}'); its link closure: ${closure}")
      endif()
    endforeach()
  endforeach()
  message(STATUS "${target} links none of: ${ARGN}")
endfunction()

# modelguard_embed_list(<output.inc> <input files...>): every file as `{"name", R"(content)"},`, the entries of
# an array of embedded files; rebuilt when any of them changes.
function(modelguard_embed_list output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} "-DINPUTS=${ARGN}" -DOUTPUT=${output} -P ${PROJECT_SOURCE_DIR}/cmake/embed_list.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed_list.cmake
    COMMENT "Embedding ${output}"
    VERBATIM)
endfunction()

# modelguard_format_folders(<out-var>): the format folders of src/formats/formats.def, the one list of
# formats (the library's sources and the fuzz targets are derived from it).
function(modelguard_format_folders out)
  set(list_file ${PROJECT_SOURCE_DIR}/src/formats/formats.def)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${list_file})
  file(STRINGS ${list_file} lines REGEX "^MODELGUARD_FORMAT\\([a-z0-9_]+\\)")
  set(folders)
  foreach(line ${lines})
    string(REGEX REPLACE "^MODELGUARD_FORMAT\\(([a-z0-9_]+)\\).*" "\\1" folder "${line}")
    list(APPEND folders ${folder})
  endforeach()
  set(${out} ${folders} PARENT_SCOPE)
endfunction()

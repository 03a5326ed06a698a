# Turns a list of text files into the entries of a C++ array of {file name, raw string literal} (the red-team
# probe families ship inside the binary, one entry per file of policies/redteam/).
# -DINPUTS=a.json;b.json -DOUTPUT=out.inc
set(entries "")
foreach(input IN LISTS INPUTS)
  file(READ ${input} content)
  get_filename_component(name ${input} NAME)
  string(FIND "${content}" ")modelguard_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${input} contains the raw-string delimiter )modelguard_embed\"")
  endif()
  string(APPEND entries "{\"${name}\", R\"modelguard_embed(${content})modelguard_embed\"},\n")
endforeach()
file(WRITE ${OUTPUT} "${entries}")

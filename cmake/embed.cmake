# Turns a text file into a C++ raw string literal include (the default policy ships inside the binary).
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "R\"modelguard_embed(${content})modelguard_embed\"")

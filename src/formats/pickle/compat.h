#pragma once
#include <string>

namespace modelguard::formats::pickle::compat {

// fix_imports: the Python 2 -> 3 renames CPython applies to GLOBAL/INST/STACK_GLOBAL names when the
// stream's protocol is below 3 (facts from Lib/_compat_pickle.py: IMPORT_MAPPING and NAME_MAPPING).
void MapPython2Name(std::string& module, std::string& name);

}  // namespace modelguard::formats::pickle::compat

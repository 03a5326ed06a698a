#include "src/formats/pickle/compat.h"

#include <string_view>
#include <utility>

namespace modelguard::formats::pickle::compat {
namespace {

struct ModuleRename {
  std::string_view from, to;
};
struct NameRename {
  std::string_view from_module, from_name, to_module, to_name;
};

// The security-relevant subset: every rename that lands in a module the policy cares about, plus the
// common containers. Unmapped Python 2 names fail to import on Python 3 and stay unknown imports.
constexpr ModuleRename kModules[] = {
    {"__builtin__", "builtins"},
    {"copy_reg", "copyreg"},
    {"Queue", "queue"},
    {"SocketServer", "socketserver"},
    {"ConfigParser", "configparser"},
    {"repr", "reprlib"},
    {"_winreg", "winreg"},
    {"thread", "_thread"},
    {"dummy_thread", "_dummy_thread"},
    {"dbhash", "dbm.bsd"},
    {"dumbdbm", "dbm.dumb"},
    {"dbm", "dbm.ndbm"},
    {"gdbm", "dbm.gnu"},
    {"xmlrpclib", "xmlrpc.client"},
    {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"httplib", "http.client"},
    {"htmlentitydefs", "html.entities"},
    {"HTMLParser", "html.parser"},
    {"Cookie", "http.cookies"},
    {"cookielib", "http.cookiejar"},
    {"BaseHTTPServer", "http.server"},
    {"SimpleHTTPServer", "http.server"},
    {"CGIHTTPServer", "http.server"},
    {"urlparse", "urllib.parse"},
    {"robotparser", "urllib.robotparser"},
    {"urllib2", "urllib.request"},
    {"anydbm", "dbm"},
    {"commands", "subprocess"},
    {"UserDict", "collections"},
    {"UserList", "collections"},
    {"UserString", "collections"},
    {"cPickle", "pickle"},
    {"cStringIO", "io"},
    {"StringIO", "io"},
    {"exceptions", "builtins"},
    {"whichdb", "dbm"},
    {"_abcoll", "collections.abc"},
    {"_socket", "_socket"},
};

constexpr NameRename kNames[] = {
    {"__builtin__", "xrange", "builtins", "range"},
    {"__builtin__", "reduce", "functools", "reduce"},
    {"__builtin__", "intern", "sys", "intern"},
    {"__builtin__", "unichr", "builtins", "chr"},
    {"__builtin__", "unicode", "builtins", "str"},
    {"__builtin__", "long", "builtins", "int"},
    {"__builtin__", "basestring", "builtins", "str"},
    {"__builtin__", "raw_input", "builtins", "input"},
    {"__builtin__", "execfile", "builtins", "exec"},
    {"itertools", "izip", "builtins", "zip"},
    {"itertools", "imap", "builtins", "map"},
    {"itertools", "ifilter", "builtins", "filter"},
    {"UserDict", "IterableUserDict", "collections", "UserDict"},
    {"UserList", "UserList", "collections", "UserList"},
    {"UserDict", "UserDict", "collections", "UserDict"},
    {"urllib", "urlopen", "urllib.request", "urlopen"},
    {"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
    {"urllib", "quote", "urllib.parse", "quote"},
    {"urllib", "unquote", "urllib.parse", "unquote"},
    {"urllib", "urlencode", "urllib.parse", "urlencode"},
    {"os", "getcwdu", "os", "getcwd"},
    {"whichdb", "whichdb", "dbm", "whichdb"},
};

}  // namespace

void MapPython2Name(std::string& module, std::string& name) {
  for (const auto& r : kNames) {
    if (module == r.from_module && name == r.from_name) {
      module = r.to_module;
      name = r.to_name;
      return;
    }
  }
  for (const auto& r : kModules) {
    if (module == r.from) {
      module = r.to;
      return;
    }
  }
}

}  // namespace modelguard::formats::pickle::compat

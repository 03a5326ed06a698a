#pragma once
// Tables derived from the format descriptors: what the scanner needs to know about formats by name
// (extensions, weights, model-card libraries) and the reference table of docs/formats.md. Nothing here
// names a format; a catalog over the registry is what the scanner uses, and tests build one over their
// own list to see a new format reach every table.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::formats {

class FormatCatalog {
 public:
  // `descriptors` in detection order.
  explicit FormatCatalog(std::vector<const FormatDescriptor*> descriptors);
  // The catalog of the registered formats.
  static const FormatCatalog& Registered();

  // Formats a file named with `extension` (lower case, with the dot) may legitimately hold; nullptr when
  // no format claims the extension.
  const std::vector<std::string_view>* FormatsForExtension(std::string_view extension) const;
  bool CarriesWeights(std::string_view format) const;
  // Weight formats the loaders of a model card's `library_name` read; nullptr for a library no format names.
  const std::vector<std::string_view>* FormatsForLibrary(std::string_view library) const;
  // True when some library loads the format (so a repository shipping it is checked against its card).
  bool LoadedByALibrary(std::string_view format) const;
  // Every fact kind the analysis can emit: the core's and each format's.
  std::vector<FactKind> FactKinds() const;
  // The reference table of docs/formats.md.
  std::string MarkdownTable() const;

  const std::vector<const FormatDescriptor*>& descriptors() const { return descriptors_; }

 private:
  std::vector<const FormatDescriptor*> descriptors_;
  std::map<std::string, std::vector<std::string_view>, std::less<>> by_extension_;
  std::map<std::string, std::vector<std::string_view>, std::less<>> by_library_;
  std::set<std::string, std::less<>> weights_;
};

}  // namespace modelguard::formats

#include "modelguard/formats/catalog.h"

#include <algorithm>

namespace modelguard::formats {

FormatCatalog::FormatCatalog(std::vector<const FormatDescriptor*> descriptors) : descriptors_(std::move(descriptors)) {
  for (const FormatDescriptor* d : descriptors_) {
    for (std::string_view ext : d->extensions) by_extension_[std::string(ext)].push_back(d->name);
    for (std::string_view lib : d->libraries) by_library_[std::string(lib)].push_back(d->name);
    if (d->carries_weights) weights_.emplace(d->name);
  }
}

const FormatCatalog& FormatCatalog::Registered() {
  static const FormatCatalog* catalog = [] {
    std::vector<const FormatDescriptor*> list;
    for (const auto& a : Registry()) list.push_back(&a->descriptor());
    return new FormatCatalog(std::move(list));
  }();
  return *catalog;
}

const std::vector<std::string_view>* FormatCatalog::FormatsForExtension(std::string_view extension) const {
  auto it = by_extension_.find(extension);
  return it == by_extension_.end() ? nullptr : &it->second;
}

bool FormatCatalog::CarriesWeights(std::string_view format) const { return weights_.contains(format); }

const std::vector<std::string_view>* FormatCatalog::FormatsForLibrary(std::string_view library) const {
  auto it = by_library_.find(library);
  return it == by_library_.end() ? nullptr : &it->second;
}

bool FormatCatalog::LoadedByALibrary(std::string_view format) const {
  return std::any_of(descriptors_.begin(), descriptors_.end(),
                     [&](const FormatDescriptor* d) { return d->name == format && !d->libraries.empty(); });
}

std::vector<FactKind> FormatCatalog::FactKinds() const {
  std::vector<FactKind> kinds = CoreFactKinds();
  for (const FormatDescriptor* d : descriptors_) {
    for (const FactKind& k : d->facts) {
      if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    }
  }
  return kinds;
}

namespace {
std::string Join(const std::vector<std::string_view>& items, std::string_view quote) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += quote;
    out += item;
    out += quote;
  }
  return out;
}
}  // namespace

std::string FormatCatalog::MarkdownTable() const {
  std::string out =
      "| format | detection rank | what it is | extensions | family | weights | libraries (model card) | fact kinds |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const FormatDescriptor* d : descriptors_) {
    std::vector<std::string_view> facts;
    for (const FactKind& k : d->facts) facts.push_back(k.id());
    std::string family(ToString(d->family));
    if (d->polyglot_probe) family += family.empty() ? "probed for polyglots" : " (probed for polyglots)";
    out += "| `" + std::string(d->name) + "` | " + std::to_string(d->detection_rank) + " | " + std::string(d->summary) +
           " | " + Join(d->extensions, "`") + " | " + family + " | " + (d->carries_weights ? "yes" : "no") + " | " +
           Join(d->libraries, "") + " | " + Join(facts, "`") + " |\n";
  }
  return out;
}

}  // namespace modelguard::formats

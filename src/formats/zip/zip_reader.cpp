#include "src/formats/zip/zip_reader.h"

#include "modelguard/formats/inflate.h"
#include "src/formats/common/path_safety.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

namespace modelguard::formats::zip {
namespace {

// Record layouts from PKWARE APPNOTE.TXT section 4.3.
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr uint32_t kDescriptorSig = 0x08074b50;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndSize = 22;
constexpr uint64_t kMaxCommentSize = 0xFFFF;
constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagDataDescriptor = 0x0008;
constexpr uint16_t kFlagPatched = 0x0020;
constexpr uint16_t kFlagStrongEncryption = 0x0040;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;

class Reader {
 public:
  explicit Reader(ByteView d) : d_(d) {}
  bool Has(uint64_t off, uint64_t n) const { return off <= d_.size() && n <= d_.size() - off; }
  uint16_t U16(uint64_t off) const { return static_cast<uint16_t>(d_[off] | (d_[off + 1] << 8)); }
  uint32_t U32(uint64_t off) const {
    return static_cast<uint32_t>(d_[off]) | (static_cast<uint32_t>(d_[off + 1]) << 8) |
           (static_cast<uint32_t>(d_[off + 2]) << 16) | (static_cast<uint32_t>(d_[off + 3]) << 24);
  }
  uint64_t U64(uint64_t off) const { return U32(off) | (static_cast<uint64_t>(U32(off + 4)) << 32); }
  std::string Str(uint64_t off, uint64_t n) const { return {reinterpret_cast<const char*>(d_.data() + off), n}; }

 private:
  ByteView d_;
};

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The zip64 extended-information extra field (id 0x0001) holds, in this order, the 64-bit value of each
// header field that is saturated at 0xFFFFFFFF -- and only those (APPNOTE 4.5.3).
void ApplyZip64Extra(const Reader& r, uint64_t extra, uint16_t extra_len, uint64_t& usize, uint64_t& csize,
                     uint64_t* local_offset) {
  const uint64_t end = extra + extra_len;
  while (extra + 4 <= end) {
    const uint16_t id = r.U16(extra), len = r.U16(extra + 2);
    if (extra + 4 + len > end) return;
    if (id == 0x0001) {
      uint64_t p = extra + 4;
      const uint64_t p_end = p + len;
      for (uint64_t* field : {&usize, &csize, local_offset}) {
        if (field != nullptr && *field == 0xFFFFFFFF && p + 8 <= p_end) {
          *field = r.U64(p);
          p += 8;
        }
      }
      return;
    }
    extra += 4 + len;
  }
}

struct LocalHeader {
  uint16_t flags, method;
  uint32_t crc;
  uint64_t csize, usize;
  std::string name;
  uint64_t data_offset;
};

std::optional<LocalHeader> ReadLocal(const Reader& r, uint64_t off) {
  if (!r.Has(off, kLocalHeaderSize) || r.U32(off) != kLocalSig) return std::nullopt;
  LocalHeader h;
  h.flags = r.U16(off + 6);
  h.method = r.U16(off + 8);
  h.crc = r.U32(off + 14);
  h.csize = r.U32(off + 18);
  h.usize = r.U32(off + 22);
  const uint16_t name_len = r.U16(off + 26);
  const uint16_t extra_len = r.U16(off + 28);
  if (!r.Has(off + kLocalHeaderSize, uint64_t{name_len} + extra_len)) return std::nullopt;
  h.name = r.Str(off + kLocalHeaderSize, name_len);
  ApplyZip64Extra(r, off + kLocalHeaderSize + name_len, extra_len, h.usize, h.csize, nullptr);
  h.data_offset = off + kLocalHeaderSize + name_len + extra_len;
  return h;
}

}  // namespace

bool HasZipMagic(ByteView data) {
  return data.size() >= 4 && data[0] == 'P' && data[1] == 'K' &&
         ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6) || (data[2] == 7 && data[3] == 8));
}

namespace {
// The last end-of-central-directory signature within comment range of the end.
std::optional<uint64_t> FindEndRecord(ByteView data) {
  if (data.size() < kEndSize) return std::nullopt;
  const Reader r(data);
  const uint64_t lowest = data.size() - kEndSize > kMaxCommentSize ? data.size() - kEndSize - kMaxCommentSize : 0;
  for (uint64_t off = data.size() - kEndSize + 1; off-- > lowest;) {
    if (r.U32(off) == kEndSig) return off;
  }
  return std::nullopt;
}
}  // namespace

bool HasEndRecord(ByteView data) {
  auto eocd = FindEndRecord(data);
  if (!eocd) return false;
  const Reader r(data);
  const uint64_t cd_size = r.U32(*eocd + 12), cd_offset = r.U32(*eocd + 16);
  // Strict for sniffing: the record's comment must end the file, so a zip stored inside a tar (whose
  // padding follows it) is not mistaken for an archive of its own.
  return *eocd + kEndSize + r.U16(*eocd + 20) == data.size() && cd_size <= *eocd && cd_offset <= *eocd - cd_size;
}

Archive Parse(ByteView data, AnalysisContext& ctx) {
  Archive archive;
  const Reader r(data);

  // 1. End of central directory: the last signature whose comment fits the file.
  const std::optional<uint64_t> eocd = FindEndRecord(data);

  uint64_t cd_offset = 0, cd_size = 0, cd_count = 0;
  uint64_t cd_end_record = 0;  // where the central directory should end: the (zip64) end record
  // The end record's claims about the directory (size, offset, count) against what is really there. Readers
  // trust different fields -- zipfile the size and offset, miniz the count, streaming readers the local
  // headers -- so a directory that lies about itself is read differently by each. Reported once.
  bool inconsistent_reported = false;
  auto inconsistent = [&](uint64_t at, std::string detail) {
    if (inconsistent_reported) return;
    inconsistent_reported = true;
    ctx.Emit(fact::kZipInconsistentDirectory, at, "", std::move(detail));
  };
  if (eocd) {
    cd_end_record = *eocd;
    cd_count = r.U16(*eocd + 10);
    if (r.U16(*eocd + 8) != cd_count && r.U16(*eocd + 4) == 0 && r.U16(*eocd + 6) == 0) {
      inconsistent(*eocd, "the end record counts " + std::to_string(r.U16(*eocd + 8)) + " entries on this disk but " +
                              std::to_string(cd_count) + " in total");
    }
    cd_size = r.U32(*eocd + 12);
    cd_offset = r.U32(*eocd + 16);
    const uint16_t comment_len = r.U16(*eocd + 20);
    if (*eocd + kEndSize + comment_len != data.size()) {
      ctx.Emit(fact::kZipTrailingData, *eocd, "",
               std::to_string(data.size() - *eocd - kEndSize) +
                   " bytes follow the end-of-central-directory record but the comment declares " +
                   std::to_string(comment_len));
    }
    // Zip64: the locator sits right before the classic record.
    if (*eocd >= 20 && r.U32(*eocd - 20) == kEnd64LocatorSig) {
      const uint64_t e64 = r.U64(*eocd - 20 + 8);
      if (r.Has(e64, 56) && r.U32(e64) == kEnd64Sig) {
        cd_count = r.U64(e64 + 32);
        cd_size = r.U64(e64 + 40);
        cd_offset = r.U64(e64 + 48);
        cd_end_record = e64;
      } else {
        ctx.Emit(fact::kZipHeaderMismatch, *eocd - 20, "",
                 "zip64 locator points at " + Hex(e64) + ", where there is no zip64 end-of-central-directory record");
      }
    }
  }

  // Bytes prepended to the archive shift every offset (Python's zipfile compensates the same way).
  uint64_t shift = 0;
  if (eocd) {
    const uint64_t cd_end_expected = cd_end_record;
    if (cd_size <= cd_end_expected && cd_offset <= cd_end_expected - cd_size && cd_offset + cd_size < cd_end_expected) {
      shift = cd_end_expected - cd_size - cd_offset;
      ctx.Emit(fact::kZipPrefixedData, 0, "",
               std::to_string(shift) + " bytes precede the archive; the file may be another format at the same time");
    }
  }

  // A central directory that cannot lie between the start of the file and its end record (a 0xFFFFFFFF size
  // with no zip64 record, an offset past the end): whatever a reader makes of it, it is not what was written.
  const bool directory_fits = cd_size <= cd_end_record && cd_offset <= cd_end_record - cd_size;
  if (eocd && !directory_fits) {
    inconsistent(cd_end_record, "the end record declares a " + std::to_string(cd_size) + "-byte central directory at " +
                                    Hex(cd_offset) + ", which does not fit before the end record at " +
                                    Hex(cd_end_record) + " (file " + std::to_string(data.size()) + " bytes)");
  }

  // 2. Central directory.
  std::set<uint64_t> referenced_locals;
  uint64_t cd_start = data.size();  // where member data must end
  if (eocd) {
    archive.has_central_directory = true;
    uint64_t off = cd_offset + shift;
    cd_start = std::min<uint64_t>(off, data.size());
    const uint64_t cd_end = directory_fits ? off + cd_size : cd_end_record;
    bool complete = true;
    for (uint64_t i = 0; i < cd_count; ++i) {
      if (archive.entries.size() >= ctx.limits().max_members) {
        ctx.Emit(fact::kLimit, off, "members",
                 "more than " + std::to_string(ctx.limits().max_members) + " entries; the rest were not analysed");
        break;
      }
      if (!r.Has(off, kCentralHeaderSize) || r.U32(off) != kCentralSig) {
        ctx.Emit(fact::kParseError, off, "zip",
                 "central directory entry " + std::to_string(i) + " of " + std::to_string(cd_count) +
                     " is missing or truncated at offset " + Hex(off));
        complete = false;
        break;
      }
      Entry e;
      e.flags = r.U16(off + 8);
      e.method = r.U16(off + 10);
      e.crc32 = r.U32(off + 16);
      e.compressed_size = r.U32(off + 20);
      e.uncompressed_size = r.U32(off + 24);
      const uint16_t name_len = r.U16(off + 28), extra_len = r.U16(off + 30), comment_len = r.U16(off + 32);
      e.local_header_offset = r.U32(off + 42);
      if (!r.Has(off + kCentralHeaderSize, uint64_t{name_len} + extra_len + comment_len)) {
        ctx.Emit(fact::kParseError, off, "zip", "central directory entry " + std::to_string(i) + " is truncated");
        complete = false;
        break;
      }
      e.name = r.Str(off + kCentralHeaderSize, name_len);
      ApplyZip64Extra(r, off + kCentralHeaderSize + name_len, extra_len, e.uncompressed_size, e.compressed_size,
                      &e.local_header_offset);
      e.local_header_offset += shift;
      off += kCentralHeaderSize + name_len + extra_len + comment_len;
      if (off > cd_end) {
        ctx.Emit(fact::kZipHeaderMismatch, off, "", "central directory runs past its declared size");
      }
      archive.entries.push_back(std::move(e));
    }
    if (complete && directory_fits && archive.entries.size() == cd_count) {
      const uint64_t used = off - (cd_offset + shift);
      if (off < cd_end && r.Has(off, 4) && r.U32(off) == kCentralSig) {
        inconsistent(off, "the central directory holds more entries than the " + std::to_string(cd_count) +
                              " its end record counts; readers that follow the count miss the rest");
      } else if (used != cd_size) {
        inconsistent(cd_offset + shift, "the central directory entries take " + std::to_string(used) +
                                            " bytes but the end record declares " + std::to_string(cd_size));
      }
    }
  } else {
    ctx.Emit(fact::kZipMissingCentralDirectory, std::nullopt, "",
             "no end-of-central-directory record: most loaders refuse this archive, lenient ones read the "
             "local headers; members were recovered from the local headers");
  }

  // 3. Local header of every central entry, compared field by field.
  for (Entry& e : archive.entries) {
    auto local = ReadLocal(r, e.local_header_offset);
    if (!local) {
      ctx.Emit(fact::kZipHeaderMismatch, e.local_header_offset, e.name,
               "the central directory points at " + Hex(e.local_header_offset) + " where there is no local header");
      continue;
    }
    referenced_locals.insert(e.local_header_offset);
    e.local_header_ok = true;
    e.data_offset = local->data_offset;
    // Members live before the directory; one whose header or data reaches into it is read by each tool
    // differently (and is how overlapping-directory bombs are built).
    if (e.local_header_offset >= cd_start || e.compressed_size > cd_start - std::min(cd_start, e.data_offset)) {
      inconsistent(e.local_header_offset, "member '" + e.name + "' (" + std::to_string(e.compressed_size) +
                                              " bytes of data at " + Hex(e.data_offset) +
                                              ") reaches into the central directory at " + Hex(cd_start));
    }
    std::vector<std::string> diffs;
    if (local->name != e.name) diffs.push_back("name '" + local->name + "' vs '" + e.name + "'");
    if (local->method != e.method)
      diffs.push_back("method " + std::to_string(local->method) + " vs " + std::to_string(e.method));
    if (!(local->flags & kFlagDataDescriptor)) {
      if (local->csize != e.compressed_size)
        diffs.push_back("compressed size " + std::to_string(local->csize) + " vs " + std::to_string(e.compressed_size));
      if (local->usize != e.uncompressed_size)
        diffs.push_back("size " + std::to_string(local->usize) + " vs " + std::to_string(e.uncompressed_size));
      if (local->crc != e.crc32) diffs.push_back("crc " + Hex(local->crc) + " vs " + Hex(e.crc32));
    }
    if ((local->flags & kFlagEncrypted) != (e.flags & kFlagEncrypted)) diffs.push_back("encryption flag differs");
    if (!diffs.empty()) {
      std::string detail = "local header and central directory disagree (local vs central): ";
      for (size_t i = 0; i < diffs.size(); ++i) detail += (i ? "; " : "") + diffs[i];
      ctx.Emit(fact::kZipHeaderMismatch, e.local_header_offset, e.name, std::move(detail));
    }
    if ((e.flags | local->flags) & (kFlagEncrypted | kFlagStrongEncryption)) {
      ctx.Emit(fact::kZipEncryptionFlag, e.local_header_offset, e.name,
               "flag bits " + Hex(e.flags) + " mark the member encrypted; PyTorch ignores them, other readers refuse");
    }
    if ((e.flags | local->flags) & kFlagPatched) {
      ctx.Emit(fact::kZipUnusualFlag, e.local_header_offset, e.name,
               "flag bit 0x20 (patched data) is set; readers disagree on how to treat it");
    }
  }

  // 4. Local headers nobody references: walk the local records in order.
  {
    std::map<uint64_t, const Entry*> by_offset;
    for (const Entry& e : archive.entries) by_offset[e.local_header_offset] = &e;
    uint64_t off = shift;
    std::vector<Entry> hidden;
    while (off < data.size() && hidden.size() + archive.entries.size() < ctx.limits().max_members) {
      auto local = ReadLocal(r, off);
      if (!local) break;
      auto known = by_offset.find(off);
      uint64_t csize = local->csize;
      if (known != by_offset.end()) csize = known->second->compressed_size;
      if (known == by_offset.end()) {
        if ((local->flags & kFlagDataDescriptor) && local->csize == 0) break;  // cannot find its end
        Entry e;
        e.name = local->name;
        e.flags = local->flags;
        e.method = local->method;
        e.crc32 = local->crc;
        e.compressed_size = local->csize;
        e.uncompressed_size = local->usize;
        e.local_header_offset = off;
        e.data_offset = local->data_offset;
        e.in_central_directory = false;
        e.local_header_ok = true;
        if (archive.has_central_directory) {
          ctx.Emit(fact::kZipHiddenEntry, off, e.name,
                   "a local header that the central directory does not list; tools that read local headers "
                   "see this member, others do not");
        }
        hidden.push_back(std::move(e));
      }
      if (csize > data.size() - local->data_offset) break;
      off = local->data_offset + csize;
      if ((local->flags & kFlagDataDescriptor) && r.Has(off, 4)) {
        const bool zip64 = known != by_offset.end() && (known->second->compressed_size > 0xFFFFFFFFULL);
        off += (r.U32(off) == kDescriptorSig ? 4 : 0) + (zip64 ? 20 : 12);
      }
    }
    for (Entry& e : hidden) archive.entries.push_back(std::move(e));
  }

  // 5. Names, duplicates and overlaps.
  std::unordered_map<std::string, int> names;
  for (const Entry& e : archive.entries) {
    if (++names[e.name] == 2) {
      ctx.Emit(fact::kZipDuplicateName, e.local_header_offset, e.name,
               "two members share this name; loaders disagree on which one they read");
    }
    if (EscapesDirectory(e.name)) {
      ctx.Emit(fact::kZipPathTraversal, e.local_header_offset, e.name,
               "member name escapes the extraction directory (absolute path or '..')");
    }
  }
  std::vector<const Entry*> sorted;
  for (const Entry& e : archive.entries) {
    if (e.local_header_ok) sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry* a, const Entry* b) { return a->local_header_offset < b->local_header_offset; });
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    const Entry& a = *sorted[i];
    const Entry& b = *sorted[i + 1];
    if (a.local_header_offset == b.local_header_offset || a.data_offset + a.compressed_size > b.local_header_offset) {
      ctx.Emit(fact::kZipOverlappingEntries, b.local_header_offset, b.name,
               "member data of '" + a.name + "' overlaps '" + b.name + "' (zip-bomb and parser-confusion technique)");
      break;
    }
  }
  return archive;
}

std::optional<ByteView> Extract(ByteView data, const Entry& entry, AnalysisContext& ctx, UnpackBuffer& storage,
                                bool verify_crc) {
  if (!entry.local_header_ok) return std::nullopt;
  if (entry.compressed_size > data.size() || entry.data_offset > data.size() - entry.compressed_size) {
    ctx.Emit(fact::kParseError, entry.data_offset, entry.name,
             "member data (" + std::to_string(entry.compressed_size) + " bytes at " + Hex(entry.data_offset) +
                 ") runs past the end of the archive");
    return std::nullopt;
  }
  const ByteView raw = data.subspan(entry.data_offset, entry.compressed_size);
  const bool encrypted = entry.flags & (kFlagEncrypted | kFlagStrongEncryption);
  ByteView out;
  if (entry.method == kMethodStored) {
    out = raw;
  } else if (entry.method == kMethodDeflate) {
    // The ratio is taken against the member's compressed size: overlapping members that share one deflate
    // stream (the non-recursive zip bomb) each count it, and each is stopped.
    storage.Start(entry.name, std::max<uint64_t>(entry.compressed_size, 1));
    const InflateOutcome r = Inflate(raw, Deflate::kRaw, [&](ByteView chunk) { return storage.Append(chunk); });
    if (r.end == InflateEnd::kStopped) return std::nullopt;
    if (r.end != InflateEnd::kComplete) {
      if (encrypted) {
        ctx.Emit(fact::kZipEncryptedMember, entry.local_header_offset, entry.name,
                 "the member is encrypted and could not be read; its content was not analysed");
      } else {
        ctx.Emit(fact::kParseError, entry.data_offset, entry.name,
                 "deflate stream is corrupt or truncated: " +
                     (r.end == InflateEnd::kCorrupt ? r.message : std::string("unexpected end")));
        if (storage.size() == 0) return std::nullopt;
      }
      if (encrypted) return std::nullopt;
    }
    out = storage.view();
  } else {
    ctx.Emit(fact::kZipUnsupportedMethod, entry.local_header_offset, entry.name,
             "compression method " + std::to_string(entry.method) + " is not supported; the member was not analysed");
    return std::nullopt;
  }
  if (verify_crc && !encrypted) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < out.size(); off += 1u << 30) {
      const auto n = static_cast<uInt>(std::min<uint64_t>(out.size() - off, 1u << 30));
      crc = crc32(crc, out.data() + off, n);
    }
    if (crc != entry.crc32) {
      ctx.Emit(fact::kZipCrcMismatch, entry.local_header_offset, entry.name,
               "CRC-32 of the data is " + Hex(crc) + " but the header says " + Hex(entry.crc32) +
                   "; Python's zipfile refuses the member, PyTorch reads it");
    }
  }
  return out;
}

void AnalyzeMembers(ByteView data, AnalysisContext& ctx, const std::function<MemberAction(const Entry&)>& classify) {
  Archive archive = Parse(data, ctx);
  UnpackBuffer storage(ctx);
  for (const Entry& e : archive.entries) {
    if (!e.name.empty() && e.name.back() == '/') continue;  // directory
    const MemberAction action = classify(e);
    if (action == MemberAction::kSkip) continue;
    auto bytes = Extract(data, e, ctx, storage, /*verify_crc=*/true);
    if (!bytes) continue;
    MemberHint hint;
    if (action == MemberAction::kForcePickle) hint.forced_format = "pickle";
    ctx.AnalyzeMember(e.name, *bytes, hint);
  }
}

}  // namespace modelguard::formats::zip

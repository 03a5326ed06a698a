#include "src/gateway/sse.h"

namespace modelguard::gateway {

Status SseSplitter::Feed(std::string_view bytes, std::vector<std::string>& events) {
  pending_.append(bytes);
  size_t start = 0;
  // A blank line: "\n\n", "\r\n\r\n", "\r\r" or a mix, i.e. a line terminator right after another.
  size_t i = scanned_ > 0 ? scanned_ - 1 : 0;
  while (i < pending_.size()) {
    const char c = pending_[i];
    if (c != '\n' && c != '\r') {
      ++i;
      continue;
    }
    size_t after = i + 1;
    if (c == '\r' && after < pending_.size() && pending_[after] == '\n') ++after;
    if (after >= pending_.size()) break;  // the terminator may still be incomplete
    const char next = pending_[after];
    if (next == '\n' || next == '\r') {
      size_t end = after + 1;
      if (next == '\r') {
        if (end >= pending_.size()) break;  // "\r" then maybe "\n": wait for the next byte
        if (pending_[end] == '\n') ++end;
      }
      events.emplace_back(pending_, start, end - start);
      start = end;
      i = end;
    } else {
      i = after;
    }
  }
  pending_.erase(0, start);
  scanned_ = i >= start ? i - start : 0;
  if (pending_.size() > max_event_bytes_) {
    return MakeError(ErrorCode::kLimit, "a server-sent event grew past " + std::to_string(max_event_bytes_) + " bytes");
  }
  return Ok{};
}

std::string SseData(std::string_view event, bool& has_data) {
  has_data = false;
  std::string data;
  size_t pos = 0;
  while (pos < event.size()) {
    size_t end = event.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = event.size();
    std::string_view line = event.substr(pos, end - pos);
    pos = end + 1;
    if (end < event.size() && event[end] == '\r' && pos < event.size() && event[pos] == '\n') ++pos;
    if (line.rfind("data", 0) != 0) continue;
    std::string_view value = line.substr(4);
    if (!value.empty() && value[0] != ':') continue;  // "database: x" is a field named "database"
    if (!value.empty()) value.remove_prefix(1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (has_data) data.push_back('\n');
    data.append(value);
    has_data = true;
  }
  return data;
}

bool SseOnlyMetadata(std::string_view event) {
  size_t pos = 0;
  while (pos < event.size()) {
    size_t end = event.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = event.size();
    const std::string_view line = event.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == ':') continue;
    const std::string_view field = line.substr(0, line.find(':'));
    if (field != "event" && field != "id" && field != "retry") return false;
  }
  return true;
}

std::string SseEvent(std::string_view data) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t end = data.find('\n', pos);
    out += "data: ";
    out.append(data.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    out += "\n";
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  out += "\n";
  return out;
}

}  // namespace modelguard::gateway

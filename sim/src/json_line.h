// A minimal JSON writer for the trace and the history: one object per line, appended to a string
// without intermediate allocations. Hand-written rather than nlohmann-json because a traced run
// writes millions of lines; parsing (history_io.cpp) uses nlohmann-json.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raftio::sim {

class JsonLine {
 public:
  explicit JsonLine(std::string& out) : out_(out) { out_ += '{'; }

  JsonLine& num(std::string_view key, std::uint64_t value) {
    name(key);
    append_number(value);
    return *this;
  }
  JsonLine& str(std::string_view key, std::string_view value) {
    name(key);
    append_string(value);
    return *this;
  }
  JsonLine& boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonLine& null(std::string_view key) {
    name(key);
    out_ += "null";
    return *this;
  }
  // A value the caller already wrote as JSON (an array, a nested object).
  JsonLine& raw(std::string_view key, std::string_view json) {
    name(key);
    out_ += json;
    return *this;
  }
  // Opens a nested value under `key`; the caller writes it and closes it.
  std::string& open(std::string_view key) {
    name(key);
    return out_;
  }
  void close() { out_ += '}'; }

  void append_number(std::uint64_t value) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (n > 0) out_ += digits[--n];
  }
  void append_string(std::string_view text) { append_json_string(out_, text); }

  // `text` as a JSON string: quotes, backslashes and control characters escaped; other bytes as
  // they are (the simulator's strings are ASCII).
  static void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20) {
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;
      }
    }
    out += '"';
  }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;  // keys are the writer's own identifiers: nothing to escape
    out_ += "\":";
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace raftio::sim

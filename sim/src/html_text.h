// Text helpers shared by the HTML timeline's writers (timeline_html.cpp, timeline_sequence.cpp):
// escaping, and numbers formatted with integer arithmetic only, so that output never depends on
// a locale and the same Timeline always gives the same bytes.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace raftio::sim::html {

inline constexpr double kCharW = 6.2;  // rough width of an 11px sans-serif character

inline std::string esc(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      case '\'': r += "&#39;"; break;
      default: r += c;
    }
  }
  return r;
}

inline std::string ms(std::uint64_t us) {  // microseconds as milliseconds, without trailing zeros
  std::string s = std::to_string(us / 1000);
  if (const std::uint64_t frac = us % 1000) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') f.pop_back();
    s += '.' + f;
  }
  return s;
}

inline std::string px(double v) {  // one decimal, "." always, no "-0"
  const long long t = std::llround(v * 10);
  const unsigned long long a = t < 0 ? 0ULL - static_cast<unsigned long long>(t) : static_cast<unsigned long long>(t);
  std::string s = (t < 0 ? "-" : "") + std::to_string(a / 10);
  if (a % 10) s += '.' + std::to_string(a % 10);
  return s;
}

// Estimated width of a label in pixels (11px sans-serif), counting UTF-8 sequences once.
inline double text_width(std::string_view s) {
  std::size_t chars = 0;
  for (char c : s) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return static_cast<double>(chars) * kCharW;
}

}  // namespace raftio::sim::html

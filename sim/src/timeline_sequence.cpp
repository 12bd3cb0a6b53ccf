// The sequence diagram: time runs down, one lifeline per node, one arrow per message from the
// moment it was sent to the moment it was delivered. Rows are ordinal, not proportional: each
// message, note and the violation gets a row of its own for its label, so labels never overlap
// however many messages one millisecond holds; the left column gives each row's virtual time.
#include "timeline_sequence.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "html_text.h"

namespace raftio::sim {

namespace {

using html::esc;
using html::ms;
using html::px;
using html::text_width;

constexpr double kTimeColumn = 96;  // the left column: each row's time
constexpr double kRowH = 16;        // > the 11px font: labels on consecutive rows cannot touch
constexpr double kTop = 34;         // below the node names
constexpr double kMinColumn = 100, kMaxColumn = 200, kPlotWidth = 1080;

struct Row {
  std::uint64_t time;
  int type;  // 0 note, 1 message, 2 the violation: a node's state change shows before what it sends
  std::size_t index;
};

const char* message_class(const std::string& label) {
  const auto starts = [&label](const char* prefix) { return label.rfind(prefix, 0) == 0; };
  if (starts("refused") || label.find("refused") != std::string::npos) return "sq-bad";
  if (starts("RequestVote") || starts("PreVote") || starts("vote") || starts("pre-vote") || starts("TimeoutNow")) return "sq-vote";
  if (starts("AppendEntries") || starts("heartbeat")) return "sq-app";
  if (starts("InstallSnapshot") || starts("snapshot")) return "sq-snap";
  if (starts("ReadIndex")) return "sq-read";
  return "sq-rep";
}

const char* note_class(const std::string& label) {
  if (label.rfind("leader", 0) == 0) return "sn-lead";
  if (label == "crash" || label == "pause") return "sn-down";
  return "sn";
}

}  // namespace

void write_sequence_diagram(std::ostream& out, const Timeline& tl, const std::vector<NodeId>& nodes) {
  if (nodes.empty() || (tl.messages.empty() && tl.notes.empty())) return;
  const double column = std::clamp(kPlotWidth / static_cast<double>(nodes.size()), kMinColumn, kMaxColumn);
  const auto column_of = [&nodes](NodeId id) -> std::ptrdiff_t {
    const auto it = std::find(nodes.begin(), nodes.end(), id);
    return it == nodes.end() ? -1 : it - nodes.begin();
  };
  const auto x_of = [column](std::ptrdiff_t col) { return kTimeColumn + column * (static_cast<double>(col) + 0.5); };

  std::vector<Row> rows;
  for (std::size_t i = 0; i < tl.notes.size(); ++i) {
    if (column_of(tl.notes[i].node) >= 0) rows.push_back({tl.notes[i].time, 0, i});
  }
  for (std::size_t i = 0; i < tl.messages.size(); ++i) {
    const auto& m = tl.messages[i];
    if (column_of(m.from) >= 0 && column_of(m.to) >= 0 && m.from != m.to) rows.push_back({m.sent, 1, i});
  }
  if (tl.focus) rows.push_back({*tl.focus, 2, 0});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return std::tie(a.time, a.type, a.index) < std::tie(b.time, b.type, b.index); });
  std::vector<std::uint64_t> times;
  for (const Row& r : rows) times.push_back(r.time);
  const auto y_of = [](std::size_t row) { return kTop + kRowH * (static_cast<double>(row) + 1); };
  // A delivery sits half a row below the last row at or before its time.
  const auto y_received = [&times, &y_of](std::uint64_t t, std::size_t own) {
    const auto after = std::upper_bound(times.begin(), times.end(), t);
    const std::size_t last = std::max<std::size_t>(static_cast<std::size_t>(after - times.begin()), own + 1) - 1;
    return y_of(last) + kRowH / 2;
  };

  const double lifelines_right = kTimeColumn + column * static_cast<double>(nodes.size());
  double width = lifelines_right + 20;
  const double height = y_of(rows.size()) + kRowH;
  std::string body;
  std::string previous_time;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    const double y = y_of(r);
    const std::string time = ms(row.time);
    if (time != previous_time) {
      body += "<text class=\"sq-t\" x=\"6\" y=\"" + px(y - 3) + "\">" + time + "</text>\n";
      previous_time = time;
    }
    if (row.type == 2) {
      body += "<line class=\"sq-v\" x1=\"" + px(kTimeColumn) + "\" x2=\"" + px(lifelines_right) + "\" y1=\"" + px(y) +
              "\" y2=\"" + px(y) + "\"/><text class=\"mvt\" x=\"" + px(kTimeColumn + 4) + "\" y=\"" + px(y - 3) + "\">" +
              esc(tl.focus_label) + "</text>\n";
      width = std::max(width, kTimeColumn + 8 + text_width(tl.focus_label));
      continue;
    }
    if (row.type == 0) {
      const auto& note = tl.notes[row.index];
      const double w = text_width(note.label) + 6;
      const double x = std::max(x_of(column_of(note.node)), kTimeColumn + w / 2);
      body += "<g class=\"" + std::string(note_class(note.label)) + "\"><title>node " + std::to_string(note.node) + ": " +
              esc(note.label) + " at " + ms(note.time) + " ms</title><rect x=\"" + px(x - w / 2) + "\" y=\"" +
              px(y - 12) + "\" width=\"" + px(w) + "\" height=\"" + px(kRowH - 3) + "\" rx=\"3\"/><text text-anchor=\"middle\" x=\"" + px(x) +
              "\" y=\"" + px(y - 2) + "\">" + esc(note.label) + "</text></g>\n";
      continue;
    }
    const auto& m = tl.messages[row.index];
    const double x0 = x_of(column_of(m.from)), x1 = x_of(column_of(m.to));
    const double y1 = y_received(m.received, r);
    const double w = text_width(m.label);
    // The label starts at the sender and runs along the arrow; one going left that would run
    // into the time column runs right instead.
    const bool right = x1 > x0 || x0 - 6 - w < kTimeColumn;
    const double lx = right ? x0 + 6 : x0 - 6;
    if (right) width = std::max(width, lx + w + 6);
    body += "<g class=\"msg " + std::string(message_class(m.label)) + "\" data-from=\"" + std::to_string(m.from) +
            "\" data-to=\"" + std::to_string(m.to) + "\" data-sent=\"" + std::to_string(m.sent) + "\" data-received=\"" +
            std::to_string(m.received) + "\"><title>" + esc(m.detail) + "\nsent " + ms(m.sent) + " ms, received " +
            ms(m.received) + " ms</title><line x1=\"" + px(x0) + "\" y1=\"" + px(y) + "\" x2=\"" + px(x1) + "\" y2=\"" +
            px(y1) + "\" marker-end=\"url(#ah)\"/><text x=\"" + px(lx) + "\" y=\"" + px(y - 3) + "\"" +
            (right ? "" : " text-anchor=\"end\"") + ">" + esc(m.label) + "</text></g>\n";
  }

  const std::uint64_t first = rows.empty() ? 0 : rows.front().time;
  const std::uint64_t last = rows.empty() ? 0 : std::max(rows.back().time, tl.messages.empty() ? 0 : tl.messages.back().received);
  out << "<h2>" << (tl.focus ? "Messages before the violation" : "The last messages of the run") << "</h2>\n<div class=\"sub\">"
      << std::to_string(tl.messages.size()) << " messages delivered from " << ms(first) << " to " << ms(last)
      << " ms, one row each; time runs down. Hover an arrow for every field. <button type=\"button\" id=\"zseq\" data-a=\""
      << ms(first) << "\" data-b=\"" << ms(last) << "\">show this stretch on the timeline</button></div>\n"
      << "<div style=\"overflow-x:auto\"><svg id=\"seq\" width=\"" << px(width) << "\" height=\"" << px(height)
      << "\" viewBox=\"0 0 " << px(width) << ' ' << px(height) << "\">\n"
      << "<defs><marker id=\"ah\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" "
         "orient=\"auto-start-reverse\"><path d=\"M0 0L8 4L0 8z\" fill=\"#444\"/></marker></defs>\n"
      << "<text class=\"sq-t\" x=\"6\" y=\"20\">ms</text>\n";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const double x = x_of(static_cast<std::ptrdiff_t>(i));
    out << "<text class=\"nl\" text-anchor=\"middle\" x=\"" << px(x) << "\" y=\"20\">node " << std::to_string(nodes[i])
        << "</text><line class=\"sq-l\" x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(kTop - 8)
        << "\" y2=\"" << px(height) << "\"/>\n";
  }
  out << body << "</svg></div>\n";
}

}  // namespace raftio::sim

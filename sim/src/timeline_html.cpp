// Renders a Timeline as one self-contained HTML page: inline CSS, SVG and a few lines of script, no
// external resources, so a page saved next to a failing seed still opens offline years later.
//
// Numbers are formatted with integer arithmetic and std::to_string only: iostream and printf
// floating-point output can follow a global locale, and the same Timeline must give the same bytes.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raftio/sim/timeline.h"

namespace raftio::sim {
namespace {

using u64 = std::uint64_t;

// Layout, in SVG user units (pixels at 100% zoom).
constexpr double kLeft = 96, kPlotW = 1080;  // kScript repeats these two
constexpr double kWidth = kLeft + kPlotW + 34;
constexpr double kRoleH = 24, kCommitH = 26, kLaneGap = 12, kLaneH = kRoleH + kCommitH + kLaneGap;
constexpr double kRowH = 15;         // one row of fault or marker labels
constexpr std::size_t kMaxRows = 4;  // more labels overlap instead of growing the page unboundedly
constexpr double kCharW = 6.2;       // rough width of an 11px sans-serif character
constexpr double kMinPx = 1.0;       // narrower role spans are merged: they would cost bytes, not show
constexpr std::size_t kMaxCommitPoints = 500;

std::string esc(std::string_view s) {
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

std::string ms(u64 us) {  // microseconds as milliseconds, without trailing zeros
  std::string s = std::to_string(us / 1000);
  if (const u64 frac = us % 1000) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') f.pop_back();
    s += '.' + f;
  }
  return s;
}

std::string span_ms(u64 a, u64 b) { return ms(a) + "\xe2\x80\x93" + ms(b) + " ms"; }

std::string px(double v) {  // one decimal, "." always, no "-0"
  const long long t = std::llround(v * 10);
  const unsigned long long a = t < 0 ? 0ULL - static_cast<unsigned long long>(t) : t;
  std::string s = (t < 0 ? "-" : "") + std::to_string(a / 10);
  if (a % 10) s += '.' + std::to_string(a % 10);
  return s;
}

// Cuts a label to about `width` pixels, never inside a UTF-8 sequence.
std::string fit(const std::string& s, double width) {
  const auto max_chars = static_cast<std::size_t>(std::max(0.0, width / kCharW));
  if (s.size() <= max_chars) return s;
  if (max_chars < 3) return "";
  std::size_t cut = max_chars - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\xe2\x80\xa6";
}

// First-fit rows so labels do not overwrite each other while there is room; when all kMaxRows rows
// are busy, the row that frees up first takes the label.
std::size_t pick_row(std::vector<double>& row_ends, double x0, double x1) {
  for (std::size_t r = 0; r < row_ends.size(); ++r) {
    if (row_ends[r] <= x0) {
      row_ends[r] = x1;
      return r;
    }
  }
  if (row_ends.size() < kMaxRows) {
    row_ends.push_back(x1);
    return row_ends.size() - 1;
  }
  const auto it = std::min_element(row_ends.begin(), row_ends.end());
  *it = std::max(*it, x1);
  return static_cast<std::size_t>(it - row_ends.begin());
}

struct Scale {
  u64 end = 1;
  u64 clamp(u64 t) const { return std::min(t, end); }
  u64 length(u64 start, u64 stop) const { return clamp(std::max(start, stop)) - clamp(start); }
  double x(u64 t) const { return kLeft + kPlotW * (static_cast<double>(clamp(t)) / static_cast<double>(end)); }
};

// Leaders fill the whole track so that who led when stands out; the other roles are thinner.
struct RoleLook {
  const char* cls;
  double y, h;
};
constexpr RoleLook kLooks[4] = {
    {"rf", 8, kRoleH - 16}, {"rp", 6, kRoleH - 12}, {"rc", 4, kRoleH - 8}, {"rl", 0, kRoleH}};
const RoleLook& look(Role r) { return kLooks[static_cast<std::size_t>(r) & 3]; }

void rect(std::ostream& out, const char* cls, double x0, double x1, double y, double h, const std::string& title) {
  out << "<rect class=\"" << cls << "\" x=\"" << px(x0) << "\" y=\"" << px(y) << "\" width=\""
      << px(std::max(x1 - x0, kMinPx)) << "\" height=\"" << px(h) << "\"><title>" << esc(title) << "</title></rect>\n";
}

void draw_span(std::ostream& out, const Scale& sc, const Timeline::RoleSpan& s) {
  const double x0 = sc.x(s.start), x1 = sc.x(std::max(s.start, s.end));
  rect(out, look(s.role).cls, x0, x1, look(s.role).y, look(s.role).h,
       std::string(to_string(s.role)) + ", term " + std::to_string(s.term) + ", " + span_ms(s.start, s.end));
  const std::string term = std::to_string(s.term);
  if (s.role == Role::Leader && x1 - x0 >= static_cast<double>(term.size()) * 7 + 6) {
    out << "<text class=\"tl\" x=\"" << px((x0 + x1) / 2) << "\" y=\"" << px(kRoleH / 2 + 4) << "\">" << term
        << "</text>\n";
  }
}

// Consecutive sub-pixel spans (election churn) become one bar colored by the role that held most of
// the time, with the details in its tooltip.
struct Churn {
  std::size_t n = 0;
  const Timeline::RoleSpan* first = nullptr;
  u64 t0 = 0, t1 = 0, dur[4] = {0, 0, 0, 0};
  Term tmin = 0, tmax = 0;
  std::size_t count[4] = {0, 0, 0, 0};

  void add(const Timeline::RoleSpan& s) {
    const auto r = static_cast<std::size_t>(s.role) & 3;
    if (n++ == 0) {
      first = &s;
      t0 = s.start;
      tmin = tmax = s.term;
    }
    t1 = std::max(t1, std::max(s.start, s.end));
    tmin = std::min(tmin, s.term);
    tmax = std::max(tmax, s.term);
    dur[r] += std::max(s.start, s.end) - s.start;
    ++count[r];
  }
  std::size_t flush(std::ostream& out, const Scale& sc) {  // returns how many spans were merged
    const std::size_t merged = n > 1 ? n : 0;
    if (n == 1) draw_span(out, sc, *first);
    if (n > 1) {
      std::size_t best = 0;
      for (std::size_t r = 1; r < 4; ++r) best = dur[r] > dur[best] ? r : best;  // ties: the humbler role
      const RoleLook& l = look(static_cast<Role>(best));
      std::string title = std::to_string(n) + " short spans:";
      for (std::size_t r = 0; r < 4; ++r) {
        if (count[r] > 0) title += " " + std::to_string(count[r]) + " " + std::string(to_string(static_cast<Role>(r)));
      }
      title += "; terms " + std::to_string(tmin) + "\xe2\x80\x93" + std::to_string(tmax) + ", " + span_ms(t0, t1);
      rect(out, l.cls, sc.x(t0), sc.x(t1), l.y, l.h, title);
    }
    *this = Churn{};
    return merged;
  }
};

struct ByStart {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return a.start < b.start;
  }
};

// Pointers to the items `keep` accepts, stably sorted: equal keys keep the caller's order.
template <typename T, typename Keep, typename Less>
std::vector<const T*> select(const std::vector<T>& items, Keep keep, Less less) {
  std::vector<const T*> r;
  for (const T& item : items) {
    if (keep(item)) r.push_back(&item);
  }
  std::stable_sort(r.begin(), r.end(), [&](const T* a, const T* b) { return less(*a, *b); });
  return r;
}

u64 tick_step(u64 end) {  // 1-2-5 steps, about ten ticks
  const u64 target = std::max<u64>(end / 10, 1);
  for (u64 step = 1;; step *= 10) {
    for (const u64 m : {1, 2, 5}) {
      if (step * m >= target) return step * m;
    }
  }
}

constexpr std::pair<const char*, const char*> kLegend[] = {
    {"background:#cfd8dc", "follower"},
    {"background:#ffd54f", "pre-candidate"},
    {"background:#fb8c00", "candidate"},
    {"background:#1e4fa3", "leader (term inside)"},
    {"background:repeating-linear-gradient(45deg,#8e0000 0 2px,#fff0 2px 5px)", "crashed"},
    {"background:repeating-linear-gradient(-45deg,#555 0 2px,#fff0 2px 5px)", "paused"},
    {"background:#ffccbc", "network fault"},
    {"border:0;border-bottom:2px solid #2e7d32;height:6px", "commit index"},
    {"border:0;border-left:2px dashed #555;width:0;height:14px", "marker"},
    {"border:0;border-left:2px solid #c62828;width:0;height:14px", "violation"}};

constexpr const char* kDefs = R"svg(<defs><pattern id="hc" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)"><rect width="6" height="6" fill="#000" fill-opacity=".25"/><rect width="2.5" height="6"
 fill="#8e0000"/></pattern><pattern id="hp" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(-45)"><rect width="6" height="6" fill="#fff" fill-opacity=".5"/><rect width="2" height="6"
 fill="#555"/></pattern></defs>
)svg";

// Cursor readout: the virtual time under the mouse, for matching the page against a log.
constexpr const char* kScript = R"(<script>
(function(){var s=document.getElementById('tl'),l=document.getElementById('cur'),t=document.getElementById('curt');
if(!s||!s.createSVGPoint)return;var p=s.createSVGPoint(),x0=96,w=1080,end=parseFloat(s.dataset.end);
function hide(){l.setAttribute('visibility','hidden');t.textContent='';}
s.addEventListener('mouseleave',hide);
s.addEventListener('mousemove',function(e){p.x=e.clientX;p.y=e.clientY;
var q=p.matrixTransform(s.getScreenCTM().inverse());if(q.x<x0||q.x>x0+w){hide();return;}
l.setAttribute('x1',q.x);l.setAttribute('x2',q.x);l.setAttribute('visibility','visible');
t.textContent='Cursor: '+((q.x-x0)/w*end).toFixed(3)+' ms';});})();
</script>
</body>
</html>
)";

constexpr const char* kStyle = R"(<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px}.sub{color:#555;margin-bottom:8px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:22px;height:11px;vertical-align:middle;margin-right:4px;border:1px solid #888}
svg text{font:11px sans-serif;fill:#333}.nl{font-weight:bold;font-size:12px}.sm{font-size:9px;fill:#777}
.tl{fill:#fff;text-anchor:middle;font-weight:bold}.tick{text-anchor:middle}
.rf{fill:#cfd8dc}.rp{fill:#ffd54f}.rc{fill:#fb8c00}.rl{fill:#1e4fa3}
rect[class^=r]:hover,.out:hover{stroke:#000;stroke-width:1}
.grid{stroke:#eee}.axis{stroke:#999}.fb{fill:#d84315;fill-opacity:.07}.fl{fill:#ffccbc;stroke:#d84315;stroke-width:.5}
.oc{fill:url(#hc);stroke:#8e0000}.op{fill:url(#hp);stroke:#555}.ci{fill:none;stroke:#2e7d32;stroke-width:1.2}
.ch{fill:#000;fill-opacity:0}.ch:hover{fill-opacity:.06}.ct{fill:#f6f8f6}
.mk{stroke:#555;stroke-dasharray:4 3}.mv{stroke:#c62828;stroke-width:1.5}.mvt{fill:#c62828;font-weight:bold}
#cur{stroke:#000;stroke-opacity:.35;pointer-events:none}
table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ccc;padding:3px 9px;text-align:right}th{background:#f0f0f0}
</style>
)";

}  // namespace

void write_html_timeline(std::ostream& out, const Timeline& tl) {
  // The axis runs to end_time; without one, to the latest instant mentioned, and never to zero.
  Scale sc;
  sc.end = tl.end_time;
  if (sc.end == 0) {
    for (const auto& s : tl.roles) sc.end = std::max({sc.end, s.start, s.end});
    for (const auto& o : tl.outages) sc.end = std::max({sc.end, o.start, o.end});
    for (const auto& f : tl.faults) sc.end = std::max({sc.end, f.start, f.end});
    for (const auto& c : tl.commits) sc.end = std::max(sc.end, c.time);
    for (const auto& m : tl.markers) sc.end = std::max(sc.end, m.time);
    sc.end = std::max<u64>(sc.end, 1);
  }
  std::vector<NodeId> nodes;
  for (NodeId n : tl.nodes) {
    if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
  }

  // Label rows first: they decide the height of everything below them.
  const auto all = [](const auto&) { return true; };
  const auto faults = select(tl.faults, all, ByStart{});
  std::vector<double> ends;
  std::vector<std::size_t> fault_row;
  for (auto f : faults)
    fault_row.push_back(pick_row(ends, sc.x(f->start), std::max(sc.x(f->end), sc.x(f->start) + 2) + 1));
  const std::size_t fault_rows = std::max<std::size_t>(ends.size(), 1);

  const auto markers = select(tl.markers, all, [](const auto& a, const auto& b) { return a.time < b.time; });
  ends.clear();
  std::vector<std::size_t> marker_row;
  std::vector<bool> marker_left;  // label left of its line when it would run off the right edge
  for (auto m : markers) {
    const double x = sc.x(m->time), w = static_cast<double>(m->label.size()) * kCharW + 8;
    marker_left.push_back(x + w > kWidth);
    marker_row.push_back(marker_left.back() ? pick_row(ends, x - w, x) : pick_row(ends, x, x + w));
  }

  const double mark_top = 4, net_top = mark_top + static_cast<double>(ends.size()) * kRowH + 6;
  const double net_h = static_cast<double>(fault_rows) * kRowH + 4, lanes_top = net_top + net_h + 10;
  const double lanes_bottom = lanes_top + static_cast<double>(nodes.size()) * kLaneH;
  const double height = lanes_bottom + 40;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << esc(tl.title)
      << "</title>\n"
      << kStyle << "</head>\n<body>\n<h1>" << esc(tl.title) << "</h1>\n<div class=\"sub\">"
      << std::to_string(nodes.size()) << " nodes, " << ms(sc.end) << " ms of virtual time, "
      << std::to_string(tl.roles.size()) << " role spans, " << std::to_string(tl.outages.size()) << " outages, "
      << std::to_string(tl.faults.size()) << " network faults, " << std::to_string(tl.commits.size())
      << " commit advances. Hover for details. <span id=\"curt\"></span></div>\n<div class=\"legend\">";
  for (const auto& [style, what] : kLegend)
    out << "<span><i class=\"sw\" style=\"" << style << "\"></i>" << what << "</span>";
  out << "</div>\n";

  out << "<div style=\"overflow-x:auto\"><svg id=\"tl\" data-end=\"" << ms(sc.end) << "\" width=\"" << px(kWidth)
      << "\" height=\"" << px(height) << "\" viewBox=\"0 0 " << px(kWidth) << ' ' << px(height) << "\">\n"
      << kDefs;

  // Grid and ticks.
  const u64 step = tick_step(sc.end);
  for (u64 k = 0; k <= sc.end / step; ++k) {
    const std::string x = px(sc.x(k * step));
    out << "<line class=\"grid\" x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << px(net_top) << "\" y2=\""
        << px(lanes_bottom) << "\"/><text class=\"tick\" x=\"" << x << "\" y=\"" << px(lanes_bottom + 14) << "\">"
        << ms(k * step) << "</text>\n";
  }
  out << "<line class=\"axis\" x1=\"" << px(kLeft) << "\" x2=\"" << px(kLeft + kPlotW) << "\" y1=\"" << px(lanes_bottom)
      << "\" y2=\"" << px(lanes_bottom) << "\"/><text x=\"" << px(kLeft + kPlotW / 2) << "\" y=\""
      << px(lanes_bottom + 30) << "\" class=\"tick\">virtual time (ms)</text>\n";

  // Network lane, with each fault also shading every node lane.
  out << "<text class=\"nl\" x=\"6\" y=\"" << px(net_top + 12) << "\">network</text>\n";
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& f = *faults[i];
    const double x0 = sc.x(f.start), x1 = std::max(sc.x(f.end), x0 + 2);
    const std::string title = f.description + ", " + span_ms(f.start, f.end);
    rect(out, "fb", x0, x1, lanes_top, lanes_bottom - lanes_top - kLaneGap, title);
    const double y = net_top + static_cast<double>(fault_row[i]) * kRowH;
    rect(out, "fl", x0, x1, y, kRowH - 2, title);
    const std::string label = fit(f.description, x1 - x0 - 4);
    if (!label.empty()) {
      out << "<text x=\"" << px(x0 + 2) << "\" y=\"" << px(y + 10) << "\" style=\"pointer-events:none\">" << esc(label)
          << "</text>\n";
    }
  }

  // One lane per node: role track on top, commit index below.
  u64 max_index = 1;
  for (const auto& c : tl.commits) max_index = std::max(max_index, c.index);
  std::size_t merged = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeId node = nodes[i];
    const double top = lanes_top + static_cast<double>(i) * kLaneH;
    out << "<g transform=\"translate(0," << px(top) << ")\">\n<text class=\"nl\" x=\"6\" y=\"" << px(kRoleH / 2 + 4)
        << "\">node " << std::to_string(node) << "</text><text class=\"sm\" x=\"6\" y=\"" << px(kRoleH + 12)
        << "\">commit 0\xe2\x80\x93" << std::to_string(max_index) << "</text>\n<rect class=\"ct\" x=\"" << px(kLeft)
        << "\" y=\"" << px(kRoleH + 1) << "\" width=\"" << px(kPlotW) << "\" height=\"" << px(kCommitH - 2) << "\"/>\n";

    const auto on_node = [node](const auto& item) { return item.node == node; };
    Churn churn;
    for (auto s : select(tl.roles, on_node, ByStart{})) {
      const double x0 = sc.x(s->start), x1 = sc.x(std::max(s->start, s->end));
      if (churn.n > 0 && x0 - sc.x(churn.t1) > kMinPx) merged += churn.flush(out, sc);  // gap: do not bridge it
      if (x1 - x0 >= kMinPx) {
        merged += churn.flush(out, sc);
        draw_span(out, sc, *s);
        continue;
      }
      churn.add(*s);
      if (sc.x(churn.t1) - sc.x(churn.t0) >= kMinPx) merged += churn.flush(out, sc);
    }
    merged += churn.flush(out, sc);

    // Commit index as a step line; at most kMaxCommitPoints points, evenly spaced, first and last kept.
    const auto commits = select(tl.commits, on_node, [](const auto& a, const auto& b) {
      return a.time < b.time || (a.time == b.time && a.index < b.index);
    });
    std::vector<const Timeline::Commit*> pts;
    const std::size_t n = commits.size();
    for (std::size_t k = 0; n > 0 && k < std::min(n, kMaxCommitPoints); ++k) {
      pts.push_back(n <= kMaxCommitPoints ? commits[k] : commits[k * (n - 1) / (kMaxCommitPoints - 1)]);
    }
    const double base = kRoleH + kCommitH - 3, span = kCommitH - 7;
    auto yi = [&](u64 idx) {
      return base - span * static_cast<double>(std::min(idx, max_index)) / static_cast<double>(max_index);
    };
    if (!pts.empty()) {
      out << "<path class=\"ci\" d=\"M" << px(kLeft) << ' ' << px(base);
      for (auto c : pts) out << 'H' << px(sc.x(c->time)) << 'V' << px(yi(c->index));
      out << 'H' << px(kLeft + kPlotW) << "\"/>\n";
    }
    for (std::size_t k = 0; k < pts.size(); ++k) {
      const double x0 = sc.x(pts[k]->time), x1 = k + 1 < pts.size() ? sc.x(pts[k + 1]->time) : kLeft + kPlotW;
      if (x1 - x0 < 0.05) continue;  // a later point covers the same pixel
      out << "<rect class=\"ch\" x=\"" << px(x0) << "\" y=\"" << px(kRoleH + 1) << "\" width=\"" << px(x1 - x0)
          << "\" height=\"" << px(kCommitH - 2) << "\"><title>node " << std::to_string(node) << ": commit index "
          << std::to_string(pts[k]->index) << " at " << ms(pts[k]->time) << " ms</title></rect>\n";
    }

    for (auto o : select(tl.outages, on_node, ByStart{})) {
      rect(out, o->kind == "pause" ? "out op" : "out oc", sc.x(o->start), std::max(sc.x(o->end), sc.x(o->start) + 2), 0,
           kRoleH + kCommitH, "node " + std::to_string(node) + " " + o->kind + ", " + span_ms(o->start, o->end));
    }
    out << "</g>\n";
  }

  // Markers last, so their lines stay visible above the bars.
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const auto& m = *markers[i];
    const bool violation = m.label.rfind("violation", 0) == 0;
    const std::string x = px(sc.x(m.time));
    const double ty = mark_top + static_cast<double>(marker_row[i]) * kRowH + 11;
    out << "<g><title>" << esc(m.label) << " at " << ms(m.time) << " ms</title><line class=\""
        << (violation ? "mv" : "mk") << "\" x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << px(ty - 10) << "\" y2=\""
        << px(lanes_bottom) << "\"/><text" << (violation ? " class=\"mvt\"" : "") << " x=\""
        << px(sc.x(m.time) + (marker_left[i] ? -4 : 4)) << "\" y=\"" << px(ty) << "\""
        << (marker_left[i] ? " text-anchor=\"end\"" : "") << ">" << esc(m.label) << "</text></g>\n";
  }
  out << "<line id=\"cur\" y1=\"" << px(net_top) << "\" y2=\"" << px(lanes_bottom) << "\" visibility=\"hidden\"/>\n"
      << "</svg></div>\n";
  if (merged > 0) {
    out << "<p class=\"sub\">" << std::to_string(merged)
        << " role spans narrower than a pixel are drawn merged; hover them for counts.</p>\n";
  }

  // Per-node summary.
  out << "<table>\n<tr><th>node</th><th>terms led</th><th>leader time (ms)</th><th>leader share</th>"
         "<th>outages</th><th>down time (ms)</th><th>last commit index</th></tr>\n";
  for (NodeId node : nodes) {
    std::set<Term> terms;
    u64 led = 0, down = 0, last = 0;
    for (const auto& s : tl.roles) {
      if (s.node != node || s.role != Role::Leader) continue;
      terms.insert(s.term);
      led += sc.length(s.start, s.end);
    }
    std::map<std::string, std::size_t> kinds;
    std::size_t outages = 0;
    for (const auto& o : tl.outages) {
      if (o.node != node) continue;
      ++outages;
      ++kinds[o.kind];
      down += sc.length(o.start, o.end);
    }
    for (const auto& c : tl.commits) {
      if (c.node == node) last = std::max(last, c.index);
    }
    std::string outage_text = std::to_string(outages);
    for (auto it = kinds.begin(); it != kinds.end(); ++it) {
      outage_text += (it == kinds.begin() ? " (" : ", ") + std::to_string(it->second) + " " + it->first;
    }
    if (!kinds.empty()) outage_text += ")";
    const u64 share = static_cast<u64>(std::llround(1000.0 * static_cast<double>(led) / static_cast<double>(sc.end)));
    out << "<tr><td>" << std::to_string(node) << "</td><td>" << std::to_string(terms.size()) << "</td><td>" << ms(led)
        << "</td><td>" << std::to_string(share / 10) << '.' << std::to_string(share % 10) << "%</td><td>"
        << esc(outage_text) << "</td><td>" << ms(down) << "</td><td>" << std::to_string(last) << "</td></tr>\n";
  }
  out << "</table>\n";

  out << kScript;
}

}  // namespace raftio::sim

// Renders a Timeline as one self-contained HTML page: inline CSS, SVG and a little script, no
// external resources, so a page saved next to a failing seed still opens offline years later.
//
// Zooming: every shape of the plot sits in a group (class "zx") that the script stretches to the
// chosen time window; labels stay outside those groups (their unzoomed positions in data-
// attributes) and the script moves, re-fits or hides them, so that text never stretches and no
// two labels overlap at any zoom. Without script the page shows the whole run.
//
// Numbers are formatted with integer arithmetic and std::to_string only: iostream and printf
// floating-point output can follow a global locale, and the same Timeline must give the same bytes.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "html_text.h"
#include "raftio/sim/timeline.h"
#include "timeline_sequence.h"

namespace raftio::sim {
namespace {

using u64 = std::uint64_t;

// Layout, in SVG user units (pixels at 100% zoom).
constexpr double kLeft = 96, kPlotW = 1080;  // kScript repeats these two
constexpr double kWidth = kLeft + kPlotW + 34;
constexpr double kRoleH = 24, kCommitH = 26, kLaneGap = 12, kLaneH = kRoleH + kCommitH + kLaneGap;
constexpr double kRowH = 15;         // one row of fault or marker labels
constexpr std::size_t kMaxRows = 4;  // more labels are hidden (their tooltips remain) rather than overlap
using html::kCharW;
constexpr double kMinPx = 1.0;       // narrower role spans are merged: they would cost bytes, not show
constexpr std::size_t kMaxCommitPoints = 500;

using html::esc;
using html::ms;
using html::px;

std::string span_ms(u64 a, u64 b) { return ms(a) + "\xe2\x80\x93" + ms(b) + " ms"; }

// Cuts a label to about `width` pixels, never inside a UTF-8 sequence.
std::string fit(const std::string& s, double width) {
  const auto max_chars = static_cast<std::size_t>(std::max(0.0, width / kCharW));
  if (s.size() <= max_chars) return s;
  if (max_chars < 3) return "";
  std::size_t cut = max_chars - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\xe2\x80\xa6";
}

// First-fit rows so labels do not overwrite each other. When all kMaxRows rows are busy, the row
// that frees up first takes the item, and `free` is false: the item's label must not be drawn
// (the script in kScript runs the same rule when zoomed).
struct RowPick {
  std::size_t row;
  bool free;
};
RowPick pick_row(std::vector<double>& row_ends, double x0, double x1) {
  for (std::size_t r = 0; r < row_ends.size(); ++r) {
    if (row_ends[r] <= x0) {
      row_ends[r] = x1;
      return {r, true};
    }
  }
  if (row_ends.size() < kMaxRows) {
    row_ends.push_back(x1);
    return {row_ends.size() - 1, true};
  }
  const auto it = std::min_element(row_ends.begin(), row_ends.end());
  *it = std::max(*it, x1);
  return {static_cast<std::size_t>(it - row_ends.begin()), false};
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

// The span's bar goes to `out` (zoomed as a shape); a leader's term goes to `labels`, shown while
// the bar is wide enough for it (the script re-decides when zoomed).
void draw_span(std::ostream& out, std::ostream& labels, const Scale& sc, const Timeline::RoleSpan& s) {
  const double x0 = sc.x(s.start), x1 = sc.x(std::max(s.start, s.end));
  rect(out, look(s.role).cls, x0, x1, look(s.role).y, look(s.role).h,
       std::string(to_string(s.role)) + ", term " + std::to_string(s.term) + ", " + span_ms(s.start, s.end));
  if (s.role != Role::Leader) return;
  const std::string term = std::to_string(s.term);
  const bool fits = x1 - x0 >= static_cast<double>(term.size()) * 7 + 6;
  labels << "<text class=\"tl zt\" data-a=\"" << px(x0) << "\" data-b=\"" << px(x1) << "\" x=\"" << px((x0 + x1) / 2)
         << "\" y=\"" << px(kRoleH / 2 + 4) << "\"" << (fits ? "" : " display=\"none\"") << ">" << term << "</text>\n";
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
  // Returns how many spans were merged.
  std::size_t flush(std::ostream& out, std::ostream& labels, const Scale& sc) {
    const std::size_t merged = n > 1 ? n : 0;
    if (n == 1) draw_span(out, labels, sc, *first);
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
 fill="#555"/></pattern><clipPath id="pc"><rect x="96" y="-100000" width="1080" height="200000"/></clipPath></defs>
)svg";

// Zoom (drag across the plot, the window inputs, zoom out, whole run, or the sequence diagram's
// button) and the cursor readout. Shapes live in .zx groups, stretched by one transform; labels
// (.zt leader terms, .zf fault labels, .zm markers) are moved, re-fitted and laid out in rows by
// the same rules as the writer, and hidden where they would overlap.
constexpr const char* kScript = R"(<script>
(function(){var s=document.getElementById('tl');if(!s||!s.createSVGPoint)return;
var x0=96,w=1080,cw=6.2,rh=15,d=s.dataset,end=parseFloat(d.end),rows=parseInt(d.rows,10),mt=parseFloat(d.mtop),
nt=parseFloat(d.nt),lb=parseFloat(d.lb),v=[0,end],p=s.createSVGPoint(),drag=null;
function $(i){return document.getElementById(i)}
function all(c){return Array.prototype.slice.call(s.querySelectorAll(c))}
function el(n,a){var e=document.createElementNS(s.namespaceURI,n);for(var k in a)e.setAttribute(k,a[k]);return e}
var za=$('za'),zb=$('zb'),cur=$('cur'),ct=$('curt'),sel=$('zsel');
function T(t){return x0+(t-v[0])/(v[1]-v[0])*w}
function Z(x){return T((x-x0)/w*end)}
function fit(t,px){var n=Math.floor(Math.max(0,px)/cw);return t.length<=n?t:n<3?'':t.slice(0,n-1)+'\u2026'}
function step(g){for(var q=1e-3;;q*=10)for(var m=[1,2,5],i=0;i<3;i++)if(q*m[i]>=g)return q*m[i]}
function ticks(){var g=$('ticks');while(g.firstChild)g.removeChild(g.firstChild);var st=step((v[1]-v[0])/10);
for(var t=Math.ceil(v[0]/st)*st;t<=v[1]+st*1e-6;t+=st){var x=T(t);g.appendChild(el('line',{'class':'grid',x1:x,x2:x,y1:nt,y2:lb}));
var b=el('text',{'class':'tick',x:x,y:lb+14});b.textContent=+t.toFixed(3);g.appendChild(b)}}
function draw(){var k=end/(v[1]-v[0]),e=x0-k*(x0+w*v[0]/end),ends={},re=[];
all('.zx').forEach(function(g){g.setAttribute('transform','matrix('+k+' 0 0 1 '+e+' 0)')});
all('.zt').forEach(function(t){var a=Math.max(Z(+t.dataset.a),x0),b=Math.min(Z(+t.dataset.b),x0+w);
t.setAttribute('x',(a+b)/2);t.setAttribute('display',b-a>=t.textContent.length*7+6?'inline':'none')});
all('.zf').forEach(function(t){var a=Math.max(Z(+t.dataset.a),x0),b=Math.min(Z(+t.dataset.b),x0+w),r=t.dataset.r,
x=fit(t.dataset.full,b-a-4),ok=x!==''&&b>a&&!(ends[r]>a);t.textContent=x;t.setAttribute('x',a+2);
t.setAttribute('display',ok?'inline':'none');if(ok)ends[r]=a+2+x.length*cw});
all('.zm').forEach(function(m){var x=Z(+m.dataset.x),wd=+m.dataset.w,inside=x>=x0-.5&&x<=x0+w+.5,left=x+wd>x0+w+34,
a=left?x-wd:x,b=left?x:x+wd,r=-1,ln=m.querySelector('line'),tx=m.querySelector('text');
if(inside){for(var i=0;i<re.length;i++)if(re[i]<=a){r=i;break}if(r<0&&re.length<rows){re.push(0);r=re.length-1}if(r>=0)re[r]=b}
m.setAttribute('display',inside?'inline':'none');ln.setAttribute('x1',x);ln.setAttribute('x2',x);
if(r>=0){var y=mt+r*rh+11;ln.setAttribute('y1',y-10);tx.setAttribute('y',y);tx.setAttribute('x',left?x-4:x+4);
tx.setAttribute('text-anchor',left?'end':'start');tx.setAttribute('display','inline')}else tx.setAttribute('display','none')});
ticks();za.value=+v[0].toFixed(3);zb.value=+v[1].toFixed(3)}
function zoom(a,b){var h=b-a;if(!(h>end*1e-7))return;if(a<0){b-=a;a=0}if(b>end){a=Math.max(0,a-(b-end));b=end}v=[a,b];draw()}
$('zgo').onclick=function(){zoom(parseFloat(za.value),parseFloat(zb.value))};
$('zout').onclick=function(){var h=v[1]-v[0];zoom(v[0]-h/2,v[1]+h/2)};
$('zall').onclick=function(){zoom(0,end)};
var q=$('zseq');if(q)q.onclick=function(){var a=parseFloat(q.dataset.a),b=parseFloat(q.dataset.b),m=Math.max((b-a)*.1,.5);
zoom(a-m,b+m);s.scrollIntoView()};
function X(e){p.x=e.clientX;p.y=e.clientY;return p.matrixTransform(s.getScreenCTM().inverse()).x}
function at(x){return v[0]+(x-x0)/w*(v[1]-v[0])}
function hide(){cur.setAttribute('visibility','hidden');ct.textContent=''}
s.addEventListener('mousedown',function(e){var x=X(e);if(x<x0||x>x0+w)return;drag=x;e.preventDefault()});
s.addEventListener('mousemove',function(e){var x=X(e);
if(drag!==null){var a=Math.max(Math.min(drag,x),x0),b=Math.min(Math.max(drag,x),x0+w);sel.setAttribute('x',a);
sel.setAttribute('width',b-a);sel.setAttribute('visibility','visible')}
if(x<x0||x>x0+w){hide();return}cur.setAttribute('x1',x);cur.setAttribute('x2',x);cur.setAttribute('visibility','visible');
ct.textContent='Cursor: '+at(x).toFixed(3)+' ms'});
s.addEventListener('mouseleave',hide);
window.addEventListener('mouseup',function(e){if(drag===null)return;var x=X(e),a=Math.max(Math.min(drag,x),x0),
b=Math.min(Math.max(drag,x),x0+w);drag=null;sel.setAttribute('visibility','hidden');if(b-a>=3)zoom(at(a),at(b))});
draw()})();
</script>
</body>
</html>
)";

constexpr const char* kStyle = R"(<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 2px}.sub{color:#555;margin-bottom:8px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:22px;height:11px;vertical-align:middle;margin-right:4px;border:1px solid #888}
.zoom{margin:6px 0}.zoom input{width:7em}
svg text{font:11px sans-serif;fill:#333}.nl{font-weight:bold;font-size:12px}.sm{font-size:9px;fill:#777}
.tl{fill:#fff;text-anchor:middle;font-weight:bold}.tick{text-anchor:middle}
.rf{fill:#cfd8dc}.rp{fill:#ffd54f}.rc{fill:#fb8c00}.rl{fill:#1e4fa3}
rect[class^=r]:hover,.out:hover{stroke:#000;stroke-width:1}
.zx *{vector-effect:non-scaling-stroke}
.grid{stroke:#eee}.axis{stroke:#999}.fb{fill:#d84315;fill-opacity:.07}.fl{fill:#ffccbc;stroke:#d84315;stroke-width:.5}
.oc{fill:url(#hc);stroke:#8e0000}.op{fill:url(#hp);stroke:#555}.ci{fill:none;stroke:#2e7d32;stroke-width:1.2}
.ch{fill:#000;fill-opacity:0}.ch:hover{fill-opacity:.06}.ct{fill:#f6f8f6}.sqw{fill:#6a1b9a;fill-opacity:.06;stroke:#6a1b9a;stroke-dasharray:3 3}
.mk{stroke:#555;stroke-dasharray:4 3}.mv{stroke:#c62828;stroke-width:1.5}.mvt{fill:#c62828;font-weight:bold}
#cur{stroke:#000;stroke-opacity:.35;pointer-events:none}#zsel{fill:#1e4fa3;fill-opacity:.12;pointer-events:none}
#tl{cursor:crosshair;user-select:none}
.sq-t{fill:#777}.sq-l{stroke:#bbb;stroke-dasharray:2 3}.sq-v{stroke:#c62828;stroke-width:1.5}
.msg line{stroke:#444;stroke-width:1}.msg text{paint-order:stroke;stroke:#fff;stroke-width:3px}.msg:hover line{stroke-width:2.5}
.sq-vote line{stroke:#e65100}.sq-vote text{fill:#e65100}.sq-app line{stroke:#1e4fa3}.sq-app text{fill:#1e4fa3}
.sq-snap line{stroke:#6a1b9a}.sq-snap text{fill:#6a1b9a}.sq-read line{stroke:#00796b}.sq-read text{fill:#00796b}
.sq-bad line{stroke:#c62828}.sq-bad text{fill:#c62828}
.sn rect{fill:#eceff1;stroke:#90a4ae}.sn-lead rect{fill:#1e4fa3}.sn-lead text{fill:#fff}.sn-down rect{fill:#8e0000}.sn-down text{fill:#fff}
g[class^=sn] text{text-anchor:middle}
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
    for (const auto& m : tl.messages) sc.end = std::max(sc.end, m.received);
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
  std::vector<RowPick> fault_row;
  for (auto f : faults)
    fault_row.push_back(pick_row(ends, sc.x(f->start), std::max(sc.x(f->end), sc.x(f->start) + 2) + 1));
  const std::size_t fault_rows = std::max<std::size_t>(ends.size(), 1);

  const auto markers = select(tl.markers, all, [](const auto& a, const auto& b) { return a.time < b.time; });
  ends.clear();
  std::vector<RowPick> marker_row;
  std::vector<bool> marker_left;  // label left of its line when it would run off the right edge
  for (auto m : markers) {
    const double x = sc.x(m->time), w = html::text_width(m->label) + 8;
    marker_left.push_back(x + w > kWidth);
    marker_row.push_back(marker_left.back() ? pick_row(ends, x - w, x) : pick_row(ends, x, x + w));
  }
  const std::size_t marker_rows = std::max<std::size_t>(ends.size(), 1);

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
  out << "</div>\n<div class=\"zoom\">Window <input id=\"za\" value=\"0\" aria-label=\"from (ms)\"> to <input id=\"zb\" value=\""
      << ms(sc.end) << "\" aria-label=\"to (ms)\"> ms <button type=\"button\" id=\"zgo\">zoom</button> "
      << "<button type=\"button\" id=\"zout\">zoom out</button> <button type=\"button\" id=\"zall\">whole run</button> "
      << "or drag across the timeline to zoom in.</div>\n";

  out << "<div style=\"overflow-x:auto\"><svg id=\"tl\" data-end=\"" << ms(sc.end) << "\" data-rows=\""
      << std::to_string(marker_rows) << "\" data-mtop=\"" << px(mark_top) << "\" data-nt=\"" << px(net_top)
      << "\" data-lb=\"" << px(lanes_bottom) << "\" width=\"" << px(kWidth) << "\" height=\"" << px(height)
      << "\" viewBox=\"0 0 " << px(kWidth) << ' ' << px(height) << "\">\n"
      << kDefs;

  // Grid and ticks (the script redraws them for the zoomed window).
  const u64 step = tick_step(sc.end);
  out << "<g id=\"ticks\">\n";
  for (u64 k = 0; k <= sc.end / step; ++k) {
    const std::string x = px(sc.x(k * step));
    out << "<line class=\"grid\" x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << px(net_top) << "\" y2=\""
        << px(lanes_bottom) << "\"/><text class=\"tick\" x=\"" << x << "\" y=\"" << px(lanes_bottom + 14) << "\">"
        << ms(k * step) << "</text>\n";
  }
  out << "</g>\n<line class=\"axis\" x1=\"" << px(kLeft) << "\" x2=\"" << px(kLeft + kPlotW) << "\" y1=\"" << px(lanes_bottom)
      << "\" y2=\"" << px(lanes_bottom) << "\"/><text x=\"" << px(kLeft + kPlotW / 2) << "\" y=\""
      << px(lanes_bottom + 30) << "\" class=\"tick\">virtual time (ms)</text>\n";

  // Network lane, with each fault also shading every node lane; the stretch of the sequence
  // diagram shaded too.
  out << "<text class=\"nl\" x=\"6\" y=\"" << px(net_top + 12) << "\">network</text>\n";
  out << "<g clip-path=\"url(#pc)\"><g class=\"zx\">\n";
  std::string fault_labels;
  std::vector<double> label_ends(kMaxRows, 0);
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& f = *faults[i];
    const double x0 = sc.x(f.start), x1 = std::max(sc.x(f.end), x0 + 2);
    const std::string title = f.description + ", " + span_ms(f.start, f.end);
    rect(out, "fb", x0, x1, lanes_top, lanes_bottom - lanes_top - kLaneGap, title);
    const double y = net_top + static_cast<double>(fault_row[i].row) * kRowH;
    rect(out, "fl", x0, x1, y, kRowH - 2, title);
    // Fitted inside its own bar, a label can only meet another in a row that ran out of room.
    const std::string label = fit(f.description, x1 - x0 - 4);
    double& row_end = label_ends[fault_row[i].row];
    const bool shown = !label.empty() && x0 >= row_end;
    if (shown) row_end = x0 + 2 + html::text_width(label);
    fault_labels += "<text class=\"zf\" data-a=\"" + px(x0) + "\" data-b=\"" + px(x1) + "\" data-r=\"" +
                    std::to_string(fault_row[i].row) + "\" data-full=\"" + esc(f.description) + "\" x=\"" + px(x0 + 2) +
                    "\" y=\"" + px(y + 10) + "\" style=\"pointer-events:none\"" + (shown ? "" : " display=\"none\"") + ">" +
                    esc(shown ? label : std::string()) + "</text>\n";
  }
  if (!tl.messages.empty()) {
    u64 first = tl.messages.front().sent, last = tl.focus.value_or(0);
    for (const auto& m : tl.messages) {
      first = std::min(first, m.sent);
      last = std::max(last, m.received);
    }
    rect(out, "sqw", sc.x(first), std::max(sc.x(last), sc.x(first) + 2), lanes_top - 4, lanes_bottom - lanes_top,
         "the messages of the sequence diagram below, " + span_ms(first, last));
  }
  out << "</g></g>\n" << fault_labels;

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
        << "\" y=\"" << px(kRoleH + 1) << "\" width=\"" << px(kPlotW) << "\" height=\"" << px(kCommitH - 2) << "\"/>\n"
        << "<g clip-path=\"url(#pc)\"><g class=\"zx\">\n";

    std::ostringstream labels;
    const auto on_node = [node](const auto& item) { return item.node == node; };
    Churn churn;
    for (auto s : select(tl.roles, on_node, ByStart{})) {
      const double x0 = sc.x(s->start), x1 = sc.x(std::max(s->start, s->end));
      if (churn.n > 0 && x0 - sc.x(churn.t1) > kMinPx) merged += churn.flush(out, labels, sc);  // gap: do not bridge it
      if (x1 - x0 >= kMinPx) {
        merged += churn.flush(out, labels, sc);
        draw_span(out, labels, sc, *s);
        continue;
      }
      churn.add(*s);
      if (sc.x(churn.t1) - sc.x(churn.t0) >= kMinPx) merged += churn.flush(out, labels, sc);
    }
    merged += churn.flush(out, labels, sc);

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
    out << "</g></g>\n" << labels.str() << "</g>\n";
  }

  // Markers last, so their lines stay visible above the bars. A label with no free row is hidden
  // (its line and tooltip remain).
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const auto& m = *markers[i];
    const bool violation = m.label.rfind("violation", 0) == 0;
    const double x = sc.x(m.time);
    const double ty = mark_top + static_cast<double>(marker_row[i].row) * kRowH + 11;
    out << "<g class=\"zm\" data-x=\"" << px(x) << "\" data-w=\"" << px(html::text_width(m.label) + 8) << "\"><title>"
        << esc(m.label) << " at " << ms(m.time) << " ms</title><line class=\"" << (violation ? "mv" : "mk") << "\" x1=\""
        << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << px(ty - 10) << "\" y2=\"" << px(lanes_bottom) << "\"/><text"
        << (violation ? " class=\"mvt\"" : "") << " x=\"" << px(x + (marker_left[i] ? -4 : 4)) << "\" y=\"" << px(ty)
        << "\"" << (marker_left[i] ? " text-anchor=\"end\"" : "") << (marker_row[i].free ? "" : " display=\"none\"")
        << ">" << esc(m.label) << "</text></g>\n";
  }
  out << "<line id=\"cur\" y1=\"" << px(net_top) << "\" y2=\"" << px(lanes_bottom) << "\" visibility=\"hidden\"/>\n"
      << "<rect id=\"zsel\" x=\"" << px(kLeft) << "\" y=\"" << px(net_top) << "\" width=\"0\" height=\""
      << px(lanes_bottom - net_top) << "\" visibility=\"hidden\"/>\n"
      << "</svg></div>\n";
  if (merged > 0) {
    out << "<p class=\"sub\">" << std::to_string(merged)
        << " role spans narrower than a pixel are drawn merged; hover them for counts.</p>\n";
  }

  write_sequence_diagram(out, tl, nodes);

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

#include "hub/html.h"

namespace spaceport::hub {
namespace {

constexpr std::string_view kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2430;background:#f6f7fb}
a{color:#3b5bdb;text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:16px;padding:12px 24px;background:#fff;border-bottom:1px solid #e4e7ee}
header.top .brand{font-weight:700;font-size:18px;color:#1f2430}
main{max-width:1180px;margin:0 auto;padding:24px}
main.narrow{max-width:720px}
form.search{display:flex;gap:8px;margin:0 0 20px}
form.search input{flex:1;padding:9px 12px;border:1px solid #cfd4df;border-radius:8px;font-size:15px}
form.search button,.button{padding:9px 16px;border:0;border-radius:8px;background:#3b5bdb;color:#fff;font-size:15px;cursor:pointer}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.card{display:block;border-radius:12px;padding:18px;min-height:150px;color:#fff;position:relative;
  background:linear-gradient(135deg,var(--from,#6366f1),var(--to,#a855f7));box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card:hover{text-decoration:none;transform:translateY(-1px);box-shadow:0 4px 12px rgba(0,0,0,.18)}
.card .emoji{font-size:30px}
.card .title{font-weight:700;font-size:18px;margin:6px 0 2px;text-shadow:0 1px 2px rgba(0,0,0,.25)}
.card .id{font-size:13px;opacity:.9}
.card .desc{font-size:13px;margin-top:6px;opacity:.95}
.badge{display:inline-block;font-size:11px;font-weight:600;letter-spacing:.02em;padding:2px 8px;border-radius:999px;
  background:#e9ecef;color:#495057}
.card .badge{position:absolute;top:14px;right:14px;background:rgba(255,255,255,.9)}
.badge.RUNNING{background:#d3f9d8;color:#2b8a3e}
.badge.BUILDING,.badge.APP_STARTING,.badge.RUNNING_BUILDING{background:#fff3bf;color:#8f6a00}
.badge.BUILD_ERROR,.badge.RUNTIME_ERROR,.badge.CONFIG_ERROR{background:#ffe3e3;color:#c92a2a}
.badge.SLEEPING,.badge.PAUSED,.badge.STOPPED{background:#e7f5ff;color:#1864ab}
.space-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.space-head h1{margin:0;font-size:24px}
.panel{background:#fff;border:1px solid #e4e7ee;border-radius:12px;padding:16px 20px;margin-bottom:16px}
.panel h2{font-size:16px;margin:0 0 10px}
iframe.app{width:100%;height:75vh;border:1px solid #e4e7ee;border-radius:12px;background:#fff}
pre{background:#11151c;color:#d8dee9;padding:12px;border-radius:8px;max-height:360px;overflow:auto;
  font:12px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all;margin:0}
pre.error{background:#fff5f5;color:#c92a2a;border:1px solid #ffc9c9}
code.clone{display:block;background:#f1f3f5;padding:8px 12px;border-radius:8px;font-size:13px;overflow-x:auto}
.tabs{display:flex;gap:8px;margin-bottom:8px}
.tabs button{border:1px solid #cfd4df;background:#fff;border-radius:8px;padding:4px 12px;cursor:pointer}
.tabs button.on{background:#3b5bdb;color:#fff;border-color:#3b5bdb}
.nav-right{margin-left:auto;display:flex;gap:14px;align-items:center}
form.inline{display:inline;margin:0}form.inline button{background:none;border:0;color:#3b5bdb;cursor:pointer;font-size:15px;padding:0}
form.stack{display:flex;flex-direction:column;gap:10px;max-width:420px}
form.stack input,form.stack select{padding:9px 12px;border:1px solid #cfd4df;border-radius:8px;font-size:15px}
table.list{width:100%;border-collapse:collapse}table.list td,table.list th{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7ee}
.notice{background:#fff9db;border:1px solid #ffe066;padding:10px 14px;border-radius:8px;word-break:break-all}
.error-box{background:#fff5f5;border:1px solid #ffc9c9;color:#c92a2a;padding:10px 14px;border-radius:8px}
.muted{color:#6b7280}.empty{padding:40px;text-align:center;color:#6b7280}
.trust-row{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap}
.badge.trust{position:static}
.badge.verified{background:#d3f9d8;color:#2b8a3e}.badge.abandoned{background:#f1f3f5;color:#868e96}
.badge.copy,.badge.similar{background:#fff3bf;color:#8f6a00}
.card .trust-row .badge{background:rgba(255,255,255,.9)}
.typeahead{flex:1;position:relative;display:flex}.typeahead input{flex:1}
#suggest{position:absolute;top:100%;left:0;right:0;z-index:5;list-style:none;margin:4px 0 0;padding:4px 0;background:#fff;
  border:1px solid #cfd4df;border-radius:8px;box-shadow:0 4px 12px rgba(0,0,0,.12)}
#suggest li a{display:block;padding:6px 12px;color:#1f2430}#suggest li a:hover{background:#f1f3f5;text-decoration:none}
.home-section h2{font-size:18px;margin:24px 0 12px}.home-section h2 .more{font-size:13px;font-weight:400;margin-left:8px}
.search-layout{display:grid;grid-template-columns:200px 1fr;gap:24px}
.facets h3{font-size:13px;text-transform:uppercase;color:#6b7280;margin:16px 0 6px}.facets ul{list-style:none;margin:0;padding:0}
.facets a.facet{display:block;padding:2px 0}.facets a.facet.on{font-weight:700}.facets .count{color:#6b7280;font-size:12px}
.sorts{display:flex;gap:12px;margin-bottom:8px}.sorts a.on{font-weight:700;color:#1f2430}
.pager{margin-top:16px;display:flex;gap:16px}
ul.collections{padding-left:18px}ul.tree{padding-left:18px}ul.tree ul{padding-left:18px}
.item .note{margin:6px 2px 0;font-size:13px;color:#495057}
form.inline-actions{display:inline-flex;gap:4px;margin:2px 0}form.inline-actions input{padding:3px 6px}
)css";

}  // namespace

std::string RenderPage(std::string_view title, std::string_view body_html, std::string_view nav_html) {
  std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>";
  page += HtmlEscape(title);
  page += " · Spaceport</title><style>";
  page += kStyle;
  page += "</style></head><body><header class=\"top\"><a class=\"brand\" href=\"/\">🚀 Spaceport</a>"
          "<a href=\"/spaces\">Spaces</a><a href=\"/collections\">Collections</a>";
  page += nav_html;
  page += "</header>\n";
  page += body_html;
  page += "\n</body></html>\n";
  return page;
}

}  // namespace spaceport::hub

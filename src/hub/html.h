// HTML helpers for the server-rendered web UI: escaping and the page frame.
//
// Every piece of user content (names, card fields, error messages) goes
// through HtmlEscape before it is placed in a page. Pure functions, thread
// safe.
#pragma once

#include <string>
#include <string_view>

#include "core/strings.h"  // HtmlEscape

namespace spaceport::hub {

// A complete HTML document with the shared header and inline stylesheet.
// `title` is escaped here; `body_html` and `nav_html` (the account links at
// the right of the header) must already be safe.
std::string RenderPage(std::string_view title, std::string_view body_html, std::string_view nav_html = "");

}  // namespace spaceport::hub

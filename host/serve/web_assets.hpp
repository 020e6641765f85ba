#pragma once
// The page's files, embedded in the program at build time (embed_web_assets.cmake): web/ and
// Chart.js from Debian's libjs-chart.js, so the page works offline and needs no files beside it.
#include <string_view>
#include <vector>

namespace digitnet::serve {

struct WebAsset {
    std::string_view path;          // "/", "/app.js", ...
    std::string_view content_type;  // "text/html", "text/javascript", "text/css" (all UTF-8)
    std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace digitnet::serve

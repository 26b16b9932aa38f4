#pragma once

// Private to the HTTP server (see http_server.h), in namespace web: request-target parsing and the
// small text helpers the sessions share. No Boost.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace understudy::web {

/** A request target ("/ws?project=a%20b") split into its path and its decoded query pairs. */
struct RequestTarget {
  std::string path;                                        // raw, up to the '?'
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in request order
};

/**
 * Splits an origin-form request target. Query keys and values are percent-decoded, '+' meaning a
 * space (what URLSearchParams writes). Returns nullopt when a '%' is not followed by two hex
 * digits or the target does not start with '/'.
 */
std::optional<RequestTarget> ParseRequestTarget(std::string_view target);

/** True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
bool ValidUtf8(std::string_view s);

/** `s` as a quoted JSON string literal. `s` must be valid UTF-8. */
std::string JsonQuote(std::string_view s);

}  // namespace understudy::web

#pragma once

// Private to the HTTP server (see http_server.h), in namespace web. Beast's core and HTTP message
// types only: the WebSocket stream itself stays in websocket_session.cpp.

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace understudy::web {

class ServerState;

/**
 * Completes the WebSocket handshake for `upgrade` (already routed and checked by the HTTP
 * session) on `stream`, then streams `project`'s frames to the client until either side closes.
 * Must be called on the stream's strand. `received` is when the upgrade request was read.
 */
void StartWebSocketSession(boost::beast::tcp_stream stream,
                           boost::beast::http::request<boost::beast::http::string_body> upgrade,
                           std::string project, std::shared_ptr<ServerState> state,
                           std::chrono::steady_clock::time_point received);

}  // namespace understudy::web

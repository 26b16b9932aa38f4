#pragma once

// Private to the HTTP server (see http_server.h), in namespace web. Only Asio's socket here: Beast
// stays in http_session.cpp.

#include <boost/asio/ip/tcp.hpp>
#include <memory>

namespace understudy::web {

class ServerState;

/**
 * Serves HTTP/1.1 on an accepted socket (whose executor must be a strand) until the peer, a
 * timeout or Stop() ends it, handing a valid /ws upgrade over to a WebSocket session.
 */
void StartHttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state);

}  // namespace understudy::web

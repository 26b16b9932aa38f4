#pragma once

#include <zmq.hpp>

namespace understudy {

/**
 * The process's one ZeroMQ context (inproc endpoints only connect sockets of the same context).
 * Terminated at exit, which waits for each closed socket's linger: every socket must be closed
 * by then, and should set a bounded linger.
 */
zmq::context_t& ProcessContext();

}  // namespace understudy

#include "transport/zmq_context.h"

namespace understudy {

zmq::context_t& ProcessContext() {
  static zmq::context_t context(1);
  return context;
}

}  // namespace understudy

#include "agent/held_out_pool.h"

#include <sstream>
#include <stdexcept>

namespace understudy {

void HeldOutConfig::Validate() const {
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    std::ostringstream os;
    os << "HeldOutConfig.fraction = " << fraction << ": must be in [0, 1]";
    throw std::invalid_argument(os.str());
  }
  if (capacity == 0) throw std::invalid_argument("HeldOutConfig.capacity = 0: must be >= 1");
}

}  // namespace understudy

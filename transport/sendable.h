#pragma once

#include <cstddef>

#include "rewards/polygon.h"

namespace understudy {

/**
 * Whether a suggestion's shape can go on the wire (docs/protocol.md): at least one part, every
 * ring 3 to `max_vertices` finite points. The server withholds any other shape, and the
 * simulator's in-process path applies the same rule so both paths agree.
 */
bool ShapeIsSendable(const Instance& shape, std::size_t max_vertices);

}  // namespace understudy

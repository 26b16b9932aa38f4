#pragma once

#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/** An axis-aligned box drawn by a person around an object, in image pixels (x0,y0)-(x1,y1). */
struct Box {
  double x0 = 0.0;
  double y0 = 0.0;
  double x1 = 0.0;
  double y1 = 0.0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
};

/** A click inside (positive) or outside (negative) the object. */
struct Click {
  Point at;
  bool positive = true;
};

/** What a person gives the agent to point at one object: a box, optionally with clicks. */
struct Prompt {
  Box box;
  std::vector<Click> clicks;
};

}  // namespace understudy

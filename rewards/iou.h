#pragma once

#include "rewards/polygon.h"

namespace understudy {

/** Area of the intersection of two validated instances. */
double IntersectionArea(const Instance& a, const Instance& b);

/** Exact intersection-over-union of two validated instances; 0 when the union is empty. */
double ExactIou(const Instance& a, const Instance& b);

}  // namespace understudy

#pragma once

#include <cstddef>

#include "env/prompt.h"
#include "rewards/polygon.h"

namespace understudy {

/** The four corners of `box` as a ring, counter-clockwise in a y-up frame (Validate's order). */
Ring BoxRing(const Box& box);

/** The ellipse inscribed in `box`, sampled at `vertices` equal angles from the rightmost point. */
Ring InscribedEllipse(const Box& box, int vertices);

/** The tight bounding box of an instance as a prompt box. */
Box BoxOf(const Instance& instance);

/** `box` clipped to a `width` x `height` image and grown about its centre to at least `min_size`
 *  pixels a side (staying inside the image where it fits), so that degenerate prompts still
 *  give a usable region. Throws std::invalid_argument on non-finite coordinates. */
Box UsableBox(const Box& box, int width, int height, double min_size = 2.0);

/** The outer ring of the part with the largest area; throws std::invalid_argument when empty. */
const Ring& LargestOuter(const Instance& instance);

/** Total length of a closed ring, closing edge included. */
double Perimeter(const Ring& ring);

/**
 * `count` points spaced equally along the arc length of the closed ring, the first at vertex 0.
 * Throws std::invalid_argument when count < 3 or the ring has zero length.
 */
Ring ResampleRing(const Ring& ring, int count);

/**
 * The contour the env moves: `ring` oriented with positive signed area, resampled to `count`
 * points, and rotated so that point 0 is the one nearest the top of the ring's centroid (smallest
 * angle to "up"), so equal shapes give equal vertex orders whatever their source.
 */
Ring CanonicalContour(const Ring& ring, int count);

/** Douglas-Peucker on a closed ring: keeps vertices farther than `epsilon` from the chords. */
Ring SimplifyRing(const Ring& ring, double epsilon);

/** True when no two non-adjacent edges of the closed ring touch or cross. O(n^2). */
bool IsSimpleRing(const Ring& ring);

/** Moves every vertex `distance` along its outward normal (the bisector of its two edges). */
Ring OffsetRing(const Ring& ring, double distance);

/** True when `p` lies inside the closed ring (even-odd rule). */
bool Contains(const Ring& ring, const Point& p);

}  // namespace understudy

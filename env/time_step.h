#pragma once

#include <string>

#include "env/observation.h"

namespace understudy {

/** Where a time step lies in its episode (dm_env's StepType). */
enum class StepType { kFirst, kMid, kLast };

/** "first", "mid", "last". */
inline std::string StepTypeName(StepType type) {
  switch (type) {
    case StepType::kFirst:
      return "first";
    case StepType::kMid:
      return "mid";
    case StepType::kLast:
      return "last";
  }
  return "?";
}

/**
 * What the env returns from Reset and Step, dm_env style: the reward for the action that led
 * here (0 on kFirst), the discount (1, and 0 on kLast) and the observation after it.
 */
struct TimeStep {
  StepType step_type = StepType::kFirst;
  double reward = 0.0;
  double discount = 1.0;
  Observation observation;
  /** Diagnostics, not for the policy: the IoU of the current contour with the human polygon
   *  and the steps taken so far in the episode. */
  double iou = 0.0;
  int step = 0;

  bool first() const { return step_type == StepType::kFirst; }
  bool mid() const { return step_type == StepType::kMid; }
  bool last() const { return step_type == StepType::kLast; }
};

}  // namespace understudy

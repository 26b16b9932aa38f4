#include "cli/proposer_lookup.h"

#include <cmath>
#include <stdexcept>

namespace understudy::cli {
namespace {

// The prompt's box as the outline.
class BoxBaseline : public Proposer {
 public:
  std::string name() const override { return "box"; }
  Proposal Propose(const cv::Mat&, const Prompt& p) override {
    const Box& b = p.box;
    return Proposal{MakeInstance({{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}}),
                    std::nan(""), name()};
  }
};

// The ellipse inscribed in the prompt's box, as a 64-gon.
class EllipseBaseline : public Proposer {
 public:
  std::string name() const override { return "ellipse"; }
  Proposal Propose(const cv::Mat&, const Prompt& p) override {
    constexpr int kVertices = 64;
    const Box& b = p.box;
    const double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
    const double rx = b.width() / 2, ry = b.height() / 2;
    Ring ring;
    ring.reserve(kVertices);
    for (int i = 0; i < kVertices; ++i) {
      // Clockwise on screen (y down) is counter-clockwise in the y-up frame of SignedArea.
      const double t = -2.0 * M_PI * i / kVertices;
      ring.push_back({cx + rx * std::cos(t), cy - ry * std::sin(t)});
    }
    return Proposal{MakeInstance(std::move(ring)), std::nan(""), name()};
  }
};

}  // namespace

std::vector<std::string> ServeProposerNames() { return {"box", "ellipse"}; }

std::unique_ptr<Proposer> MakeServeProposer(const std::string& name) {
  if (name == "box") return std::make_unique<BoxBaseline>();
  if (name == "ellipse") return std::make_unique<EllipseBaseline>();
  std::string known;
  for (const std::string& n : ServeProposerNames()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown proposer '" + name + "' (known: " + known + ")");
}

}  // namespace understudy::cli

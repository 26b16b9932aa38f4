#include "env/observation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

#include "env/contour.h"
#include "env/proposer_factory.h"
#include "env/rasterize.h"

namespace understudy {
namespace {

constexpr std::array<ChannelKind, 11> kAllKinds = {
    ChannelKind::kRgb,         ChannelKind::kGray,        ChannelKind::kSobel,
    ChannelKind::kCanny,       ChannelKind::kInside,      ChannelKind::kBoxMask,
    ChannelKind::kEllipseMask, ChannelKind::kGrabCutMask, ChannelKind::kWatershedMask,
    ChannelKind::kClicks,      ChannelKind::kContour};

// ImageNet statistics in R, G, B order; gray uses their average.
constexpr std::array<float, 3> kMean = {0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kStd = {0.229f, 0.224f, 0.225f};
constexpr float kGrayMean = 0.449f;
constexpr float kGrayStd = 0.226f;

// Resamples the crop described by `t` out of `image` (8-bit, any channel count): halved with
// Gaussian pyramid steps while the crop is reduced more than twofold on both axes, then area
// averaging for any remaining anisotropic reduction (so nothing aliases), then a bilinear
// affine warp that places the crop exactly, padding past the border with `pad`.
void Resample(const cv::Mat& image, const CropTransform& t, double pad, cv::Mat& out) {
  const cv::Size size(t.width, t.height);
  const double min_scale = std::min(t.scale_x, t.scale_y);
  // Enough source pixels past the crop's edges for the smoothing kernels at the coarsest level.
  const int margin = 3 + static_cast<int>(std::ceil(2.0 / std::min(min_scale, 1.0)));
  const double rx1 = t.x0 + t.width / t.scale_x, ry1 = t.y0 + t.height / t.scale_y;
  const int ix0 = std::max(0, static_cast<int>(std::floor(t.x0)) - margin);
  const int iy0 = std::max(0, static_cast<int>(std::floor(t.y0)) - margin);
  const int ix1 = std::min(image.cols, static_cast<int>(std::ceil(rx1)) + margin);
  const int iy1 = std::min(image.rows, static_cast<int>(std::ceil(ry1)) + margin);
  if (ix1 <= ix0 || iy1 <= iy0) {  // the crop lies wholly past the image
    out.create(size, image.type());
    out.setTo(cv::Scalar::all(pad));
    return;
  }
  const cv::Rect roi(ix0, iy0, ix1 - ix0, iy1 - iy0);
  cv::Mat src = image(roi);
  // Crop u = ax * x + bx, with x continuous (corner) coordinates in `src`; likewise v.
  double ax = t.scale_x, ay = t.scale_y;
  double bx = (roi.x - t.x0) * t.scale_x, by = (roi.y - t.y0) * t.scale_y;
  cv::Mat level;
  while (ax < 0.5 && ay < 0.5 && src.cols >= 4 && src.rows >= 4) {
    // pyrDown centres output pixel i on input pixel 2i: x_in = 2 x_out - 0.5 (corners).
    cv::pyrDown(src, level);
    src = level.clone();
    bx -= 0.5 * ax;
    by -= 0.5 * ay;
    ax *= 2.0;
    ay *= 2.0;
  }
  if (ax < 0.5 || ay < 0.5) {  // an elongated box: the long axis still needs reducing
    const int w =
        ax < 0.5 ? std::max(1, static_cast<int>(std::ceil(src.cols * ax * 2.0))) : src.cols;
    const int h =
        ay < 0.5 ? std::max(1, static_cast<int>(std::ceil(src.rows * ay * 2.0))) : src.rows;
    const double fx = static_cast<double>(w) / src.cols;  // area resizing maps corners exactly
    const double fy = static_cast<double>(h) / src.rows;
    cv::resize(src, level, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    src = level;
    ax /= fx;
    ay /= fy;
  }
  // warpAffine indexes pixel centres: u_i + 0.5 = a (x_i + 0.5) + b.
  const double cx = 0.5 * ax + bx - 0.5, cy = 0.5 * ay + by - 0.5;
  const cv::Matx23d inverse(1.0 / ax, 0.0, -cx / ax, 0.0, 1.0 / ay, -cy / ay);
  cv::warpAffine(src, out, inverse, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar::all(pad));
}

// A mask rendered in 8 bits and written as 0/1 floats to `plane`.
class MaskPlane {
 public:
  MaskPlane(int size, float* plane) : mask_(cv::Mat::zeros(size, size, CV_8UC1)), plane_(plane) {}
  cv::Mat& mask() { return mask_; }
  ~MaskPlane() {
    cv::Mat dst(mask_.size(), CV_32FC1, plane_);
    mask_.convertTo(dst, CV_32FC1, 1.0 / 255.0);
  }
  MaskPlane(const MaskPlane&) = delete;
  MaskPlane& operator=(const MaskPlane&) = delete;

 private:
  cv::Mat mask_;
  float* plane_;
};

void Gaussians(const CropTransform& t, const std::vector<Click>& clicks, bool positive,
               double sigma, float* plane) {
  const int n = t.width * t.height;
  std::fill(plane, plane + n, 0.0f);
  const double inv = 1.0 / (2.0 * sigma * sigma);
  for (const Click& c : clicks) {
    if (c.positive != positive) continue;
    const Point at = t.ToCrop(c.at);
    for (int v = 0; v < t.height; ++v) {
      const double dy = v + 0.5 - at.y;
      for (int u = 0; u < t.width; ++u) {
        const double dx = u + 0.5 - at.x;
        float& p = plane[v * t.width + u];
        p = std::max(p, static_cast<float>(std::exp(-(dx * dx + dy * dy) * inv)));
      }
    }
  }
}

}  // namespace

void ResampleCrop(const cv::Mat& image, const CropTransform& t, double pad_value, cv::Mat& out) {
  if (image.empty()) throw std::invalid_argument("ResampleCrop: empty image");
  if (t.width < 1 || t.height < 1 || !(t.scale_x > 0.0) || !(t.scale_y > 0.0) ||
      !std::isfinite(t.x0) || !std::isfinite(t.y0)) {
    throw std::invalid_argument("ResampleCrop: the crop transform is degenerate or not finite");
  }
  Resample(image, t, pad_value, out);
}

int PlaneCount(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kRgb:
      return 3;
    case ChannelKind::kClicks:
      return 2;
    default:
      return 1;
  }
}

std::string ChannelName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kRgb:
      return "rgb";
    case ChannelKind::kGray:
      return "gray";
    case ChannelKind::kSobel:
      return "sobel";
    case ChannelKind::kCanny:
      return "canny";
    case ChannelKind::kInside:
      return "inside";
    case ChannelKind::kBoxMask:
      return "box";
    case ChannelKind::kEllipseMask:
      return "ellipse";
    case ChannelKind::kGrabCutMask:
      return "grabcut";
    case ChannelKind::kWatershedMask:
      return "watershed";
    case ChannelKind::kClicks:
      return "clicks";
    case ChannelKind::kContour:
      return "contour";
  }
  throw std::logic_error("ChannelName: unknown kind");
}

ChannelKind ParseChannel(const std::string& name) {
  std::string valid;
  for (ChannelKind k : kAllKinds) {
    if (ChannelName(k) == name) return k;
    valid += (valid.empty() ? "" : ", ") + ChannelName(k);
  }
  throw std::invalid_argument("unknown observation channel '" + name + "' (valid: " + valid + ")");
}

void ObservationSpec::Validate() const {
  if (size < 8 || size > 1024) {
    throw std::invalid_argument("ObservationSpec.size = " + std::to_string(size) +
                                " (must be in [8, 1024])");
  }
  if (!(context_margin >= 0.0 && context_margin <= 4.0)) {
    throw std::invalid_argument("ObservationSpec.context_margin = " +
                                std::to_string(context_margin) + " (must be in [0, 4])");
  }
  if (!(min_crop_side >= 1.0 && std::isfinite(min_crop_side))) {
    throw std::invalid_argument("ObservationSpec.min_crop_side = " + std::to_string(min_crop_side) +
                                " (must be finite and >= 1)");
  }
  if (channels.empty()) throw std::invalid_argument("ObservationSpec.channels is empty");
  for (std::size_t i = 0; i < channels.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (channels[i] == channels[j]) {
        throw std::invalid_argument("ObservationSpec.channels[" + std::to_string(i) +
                                    "] = " + ChannelName(channels[i]) + " is listed twice");
      }
    }
  }
  if (!(pad_value >= 0.0 && pad_value <= 255.0)) {
    throw std::invalid_argument("ObservationSpec.pad_value = " + std::to_string(pad_value) +
                                " (must be in [0, 255])");
  }
  if (!(click_sigma > 0.0 && click_sigma <= 64.0)) {
    throw std::invalid_argument("ObservationSpec.click_sigma = " + std::to_string(click_sigma) +
                                " (must be in (0, 64])");
  }
}

int ObservationSpec::PlaneCountTotal() const {
  int n = 0;
  for (ChannelKind k : channels) n += PlaneCount(k);
  return n;
}

int ObservationSpec::PlaneOf(ChannelKind kind) const {
  int n = 0;
  for (ChannelKind k : channels) {
    if (k == kind) return n;
    n += PlaneCount(k);
  }
  return -1;
}

ObservationBuilder::ObservationBuilder(ObservationSpec spec) : spec_(std::move(spec)) {
  spec_.Validate();
  if (spec_.PlaneOf(ChannelKind::kGrabCutMask) >= 0) grabcut_ = MakeProposer("grabcut");
  if (spec_.PlaneOf(ChannelKind::kWatershedMask) >= 0) watershed_ = MakeProposer("watershed");
}

ObservationBuilder::~ObservationBuilder() = default;
ObservationBuilder::ObservationBuilder(ObservationBuilder&&) noexcept = default;
ObservationBuilder& ObservationBuilder::operator=(ObservationBuilder&&) noexcept = default;

std::size_t ObservationBuilder::FloatCount() const {
  return static_cast<std::size_t>(spec_.PlaneCountTotal()) * spec_.size * spec_.size;
}

CropTransform ObservationBuilder::Placement(const Box& box) const {
  if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) ||
      !std::isfinite(box.y1)) {
    throw std::invalid_argument("ObservationBuilder: prompt box has a non-finite coordinate");
  }
  const double w = std::abs(box.width()), h = std::abs(box.height());
  const double cx = 0.5 * (box.x0 + box.x1), cy = 0.5 * (box.y0 + box.y1);
  double cw = std::max(w * (1.0 + 2.0 * spec_.context_margin), spec_.min_crop_side);
  double ch = std::max(h * (1.0 + 2.0 * spec_.context_margin), spec_.min_crop_side);
  if (spec_.keep_aspect) cw = ch = std::max(cw, ch);
  CropTransform t;
  t.width = t.height = spec_.size;
  t.scale_x = spec_.size / cw;
  t.scale_y = spec_.size / ch;
  t.x0 = cx - 0.5 * cw;
  t.y0 = cy - 0.5 * ch;
  return t;
}

Observation ObservationBuilder::Build(const cv::Mat& image, const Prompt& prompt,
                                      const Ring* contour,
                                      const PrecomputedProposals& precomputed) {
  Observation obs;
  obs.pixels.resize(FloatCount());
  obs.planes = spec_.PlaneCountTotal();
  obs.height = obs.width = spec_.size;
  obs.transform = BuildInto(image, prompt, contour, obs.pixels.data(), precomputed);
  if (contour != nullptr) {
    obs.contour.reserve(contour->size() * 2);
    for (const Point& p : *contour) {
      const Point n = obs.transform.ToNormalized(p);
      obs.contour.push_back(static_cast<float>(n.x));
      obs.contour.push_back(static_cast<float>(n.y));
    }
  }
  return obs;
}

CropTransform ObservationBuilder::BuildInto(const cv::Mat& image, const Prompt& prompt,
                                            const Ring* contour, float* out,
                                            const PrecomputedProposals& precomputed) {
  if (image.empty() || image.type() != CV_8UC3) {
    throw std::invalid_argument("ObservationBuilder: image must be a non-empty CV_8UC3 matrix");
  }
  const CropTransform t = Placement(prompt.box);
  const int size = spec_.size;
  const std::size_t plane_size = static_cast<std::size_t>(size) * size;

  cv::Mat crop, gray;
  auto need_crop = [&] {
    if (crop.empty()) Resample(image, t, spec_.pad_value, crop);
  };
  auto need_gray = [&] {
    need_crop();
    if (gray.empty()) cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
  };

  float* plane = out;
  for (ChannelKind kind : spec_.channels) {
    switch (kind) {
      case ChannelKind::kRgb: {
        need_crop();
        const bool imagenet = spec_.normalization == Normalization::kImageNet;
        for (int c = 0; c < 3; ++c) {  // R, G, B from B, G, R
          const int src_channel = 2 - c;
          const float scale = imagenet ? 1.0f / (255.0f * kStd[c]) : 1.0f / 255.0f;
          const float offset = imagenet ? -kMean[c] / kStd[c] : 0.0f;
          float* dst = plane + c * plane_size;
          for (int y = 0; y < size; ++y) {
            const auto* row = crop.ptr<std::uint8_t>(y);
            for (int x = 0; x < size; ++x)
              dst[y * size + x] = row[3 * x + src_channel] * scale + offset;
          }
        }
        break;
      }
      case ChannelKind::kGray: {
        need_gray();
        const bool imagenet = spec_.normalization == Normalization::kImageNet;
        const float scale = imagenet ? 1.0f / (255.0f * kGrayStd) : 1.0f / 255.0f;
        const float offset = imagenet ? -kGrayMean / kGrayStd : 0.0f;
        cv::Mat dst(size, size, CV_32FC1, plane);
        gray.convertTo(dst, CV_32FC1, scale, offset);
        break;
      }
      case ChannelKind::kSobel: {
        need_gray();
        cv::Mat g, dx, dy;
        gray.convertTo(g, CV_32FC1, 1.0 / 255.0);
        cv::Sobel(g, dx, CV_32F, 1, 0, 3, 1.0, 0.0, cv::BORDER_REPLICATE);
        cv::Sobel(g, dy, CV_32F, 0, 1, 3, 1.0, 0.0, cv::BORDER_REPLICATE);
        cv::Mat dst(size, size, CV_32FC1, plane);
        cv::magnitude(dx, dy, dst);
        // A unit step gives a Sobel response of 4: scale so that reads 1, and clip.
        dst *= 0.25;
        cv::min(dst, 1.0, dst);
        break;
      }
      case ChannelKind::kCanny: {
        need_gray();
        cv::Mat edges;
        cv::Canny(gray, edges, 50.0, 150.0);
        cv::Mat dst(size, size, CV_32FC1, plane);
        edges.convertTo(dst, CV_32FC1, 1.0 / 255.0);
        break;
      }
      case ChannelKind::kInside: {
        // Separable: a crop pixel shows the image when its centre's x and y both do.
        std::vector<float> in_x(static_cast<std::size_t>(size)),
            in_y(static_cast<std::size_t>(size));
        for (int i = 0; i < size; ++i) {
          const Point p = t.ToImage({i + 0.5, i + 0.5});
          in_x[static_cast<std::size_t>(i)] = (p.x >= 0.0 && p.x < image.cols) ? 1.0f : 0.0f;
          in_y[static_cast<std::size_t>(i)] = (p.y >= 0.0 && p.y < image.rows) ? 1.0f : 0.0f;
        }
        for (int y = 0; y < size; ++y) {
          for (int x = 0; x < size; ++x) {
            plane[y * size + x] =
                in_x[static_cast<std::size_t>(x)] * in_y[static_cast<std::size_t>(y)];
          }
        }
        break;
      }
      case ChannelKind::kBoxMask: {
        MaskPlane m(size, plane);
        FillRing(m.mask(), BoxRing(prompt.box), t);
        break;
      }
      case ChannelKind::kEllipseMask: {
        MaskPlane m(size, plane);
        FillRing(m.mask(), InscribedEllipse(prompt.box, 64), t);
        break;
      }
      case ChannelKind::kGrabCutMask:
      case ChannelKind::kWatershedMask: {
        const bool is_grabcut = kind == ChannelKind::kGrabCutMask;
        const Instance* given = is_grabcut ? precomputed.grabcut : precomputed.watershed;
        MaskPlane m(size, plane);
        if (given != nullptr) {
          FillInstance(m.mask(), *given, t);
        } else {
          const Proposal proposal = (is_grabcut ? *grabcut_ : *watershed_).Propose(image, prompt);
          FillInstance(m.mask(), proposal.shape, t);
        }
        break;
      }
      case ChannelKind::kClicks:
        Gaussians(t, prompt.clicks, true, spec_.click_sigma, plane);
        Gaussians(t, prompt.clicks, false, spec_.click_sigma, plane + plane_size);
        break;
      case ChannelKind::kContour:
        DrawContour(t, contour, plane);
        break;
    }
    plane += PlaneCount(kind) * plane_size;
  }
  return t;
}

void ObservationBuilder::DrawContour(const CropTransform& t, const Ring* contour,
                                     float* plane) const {
  MaskPlane m(spec_.size, plane);
  if (contour != nullptr && contour->size() >= 3) FillRing(m.mask(), *contour, t);
}

void ObservationBuilder::SetContour(Observation& observation, const Ring& contour) const {
  const int at = spec_.PlaneOf(ChannelKind::kContour);
  if (at >= 0) {
    DrawContour(observation.transform, &contour,
                observation.pixels.data() + static_cast<std::size_t>(at) * spec_.size * spec_.size);
  }
  observation.contour.clear();
  observation.contour.reserve(contour.size() * 2);
  for (const Point& p : contour) {
    const Point n = observation.transform.ToNormalized(p);
    observation.contour.push_back(static_cast<float>(n.x));
    observation.contour.push_back(static_cast<float>(n.y));
  }
}

}  // namespace understudy

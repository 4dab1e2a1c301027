#include "anpr/plate_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "anpr/model_files.hpp"
#include "anpr/model_runner.hpp"

namespace vsp::anpr {

using core::make_error;

namespace {

using detail::as_mat;
using detail::load;
using detail::ModelFile;
using detail::verified;

constexpr ModelFile kDet{"ocr_ppocrv4/ppocrv4_det_320.onnx",
                         "a310415ba5b4a86829a01184aab8f85a0195f49744baa47d48c32a2facd527b2"};
constexpr ModelFile kRec320{"ocr_ppocrv4/ppocrv4_rec_48x320.onnx",
                            "37604a810af8cde8df264101bcca810a8cadb8ae2f378ab6ce48c73dd214250f"};
constexpr ModelFile kRec160{"ocr_ppocrv4/ppocrv4_rec_48x160.onnx",
                            "25d96d425cc049e2dad8a9125329fad6350024c0ac1d0d074108822a31a465bd"};
constexpr ModelFile kKeys{"ocr_ppocrv4/ppocr_keys_v1.txt",
                          "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"};
constexpr ModelFile kAttrs{"vehicle_attributes/vehicle_attributes_barrier0039_72.onnx",
                           "ac01f7921051bb285b2c5a21b235548064ea86ffc115f7c588e2dfeb4338fb5b"};

/// One recognised string with its per-character probabilities.
struct TextGuess {
  std::string text;
  std::vector<float> probs;
  std::vector<CharChoices> choices;  ///< per character: its best digit and letter (recognise() only)
  float mean() const {
    if (probs.empty()) return 0;
    float s = 0;
    for (float p : probs) s += p;
    return s / static_cast<float>(probs.size());
  }
};

}  // namespace

struct PlateReader::Impl {
  std::unique_ptr<PlateLocaliser> lpd;
  std::unique_ptr<detail::ModelRunner> det, rec160, rec320;
  std::vector<int> alphabet_index;  ///< CTC class index of each plate_alphabet() character
};

core::Result<std::unique_ptr<PlateReader>> PlateReader::create(const PlateReaderOptions& options) {
  std::unique_ptr<PlateReader> r(new PlateReader());
  r->options_ = options;
  r->impl_ = std::make_unique<Impl>();
  auto lpd = PlateLocaliser::create(options.backend, options.threads, options.lpd.plan_ahead);
  if (!lpd) return lpd.error();
  r->impl_->lpd = std::move(lpd.value());
  using detail::ModelRunner;
  auto det = ModelRunner::create(kDet, "ppocrv4_det_320", options.backend, options.threads, {1, 3, 320, 320});
  if (!det) return det.error();
  auto r160 = ModelRunner::create(kRec160, "ppocrv4_rec_48x160", options.backend, options.threads, {1, 3, 48, 160});
  if (!r160) return r160.error();
  auto r320 = ModelRunner::create(kRec320, "ppocrv4_rec_48x320", options.backend, options.threads, {1, 3, 48, 320});
  if (!r320) return r320.error();
  r->impl_->det = std::move(*det);
  r->impl_->rec160 = std::move(*r160);
  r->impl_->rec320 = std::move(*r320);
  auto keys = verified(kKeys);
  if (!keys) return keys.error();
  // Class index i (1..6623) is line i of the keys file; 0 is the CTC blank.
  std::map<std::string, int> index;
  std::ifstream in(*keys);
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) index.emplace(line, i);
  for (char c : plate_alphabet()) {
    auto it = index.find(std::string(1, c));
    if (it == index.end()) return make_error("model_shape_mismatch", fmt::format("{}: has no '{}'", *keys, c));
    r->impl_->alphabet_index.push_back(it->second);
  }
  return r;
}

PlateReader::~PlateReader() = default;

PlateReaderUsage PlateReader::usage() const {
  PlateReaderUsage u;
  u.localiser = impl_->lpd->usage();
  u.recogniser_wide = impl_->rec320->usage();
  u.recogniser = impl_->rec160->usage();
  u.recogniser.forwards += u.recogniser_wide.forwards;
  u.recogniser.ms += u.recogniser_wide.ms;
  u.text_detector = impl_->det->usage();
  return u;
}

namespace {

// ---- Text detection (DB): probability map -> rotated boxes ---------------------------------
std::vector<cv::RotatedRect> detect_text(detail::ModelRunner& net, const cv::Mat& crop, float min_score) {
  constexpr int S = 320;
  const float r = std::min(static_cast<float>(S) / crop.cols, static_cast<float>(S) / crop.rows);
  const int nw = std::max(1, static_cast<int>(std::round(crop.cols * r))),
            nh = std::max(1, static_cast<int>(std::round(crop.rows * r)));
  cv::Mat canvas(S, S, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::resize(crop, canvas(cv::Rect(0, 0, nw, nh)), cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
  cv::Mat f;
  canvas.convertTo(f, CV_32FC3, 1.0 / 255);
  cv::subtract(f, cv::Scalar(0.485, 0.456, 0.406), f);
  cv::divide(f, cv::Scalar(0.229, 0.224, 0.225), f);
  const auto outs = net.forward(cv::dnn::blobFromImage(f));
  if (outs.empty()) return {};
  cv::Mat prob(S, S, CV_32F, const_cast<float*>(outs[0].ptr<float>()));
  cv::Mat bin = prob > 0.3f;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bin, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  std::vector<cv::RotatedRect> boxes;
  for (const auto& c : contours) {
    if (c.size() < 4) continue;
    cv::Rect bb = cv::boundingRect(c) & cv::Rect(0, 0, S, S);
    cv::Mat mask = cv::Mat::zeros(bb.size(), CV_8U);
    std::vector<std::vector<cv::Point>> shifted{c};
    for (auto& p : shifted[0]) p -= bb.tl();
    cv::fillPoly(mask, shifted, cv::Scalar(1));
    if (cv::mean(prob(bb), mask)[0] < min_score) continue;
    cv::RotatedRect rr = cv::minAreaRect(c);
    const double area = rr.size.area(), perim = 2.0 * (rr.size.width + rr.size.height);
    if (perim <= 0) continue;
    const float d = static_cast<float>(1.5 * area / perim);  // "unclip"
    rr.size.width += 2 * d;
    rr.size.height += 2 * d;
    rr.center.x /= r;
    rr.center.y /= r;
    rr.size.width /= r;
    rr.size.height /= r;
    boxes.push_back(rr);
  }
  return boxes;
}

/// Plates are often detected word by word ("RK 875 AE"): boxes on one text line (vertical
/// overlap, gap below 1.2 heights) are merged into a line box, which joins the candidates.
std::vector<cv::RotatedRect> merge_lines(const std::vector<cv::RotatedRect>& boxes) {
  std::vector<cv::Rect2f> rects;
  for (const auto& b : boxes) rects.push_back(b.boundingRect2f());
  std::vector<cv::RotatedRect> out = boxes;
  std::vector<char> used(rects.size(), 0);
  std::vector<size_t> order(rects.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rects[a].x < rects[b].x; });
  for (size_t oi = 0; oi < order.size(); ++oi) {
    const size_t i = order[oi];
    if (used[i]) continue;
    cv::Rect2f line = rects[i];
    int members = 1;
    for (size_t oj = oi + 1; oj < order.size(); ++oj) {
      const size_t j = order[oj];
      if (used[j]) continue;
      const cv::Rect2f& r = rects[j];
      const float overlap = std::min(line.y + line.height, r.y + r.height) - std::max(line.y, r.y);
      const float h = std::min(line.height, r.height);
      const float gap = r.x - (line.x + line.width);
      const bool similar = std::max(line.height, r.height) < 1.6f * h;
      if (overlap > 0.6f * h && gap < 1.2f * h && similar) {
        line |= r;
        used[j] = 1;
        ++members;
      }
    }
    if (members > 1)
      out.emplace_back(cv::Point2f(line.x + line.width / 2, line.y + line.height / 2),
                       cv::Size2f(line.width, line.height), 0.f);
  }
  return out;
}

/// Upright crop of a rotated box, wider than tall; `grow` enlarges it by a fraction.
cv::Mat crop_rotated(const cv::Mat& img, cv::RotatedRect rr, float grow_x, float grow_y) {
  if (rr.size.width < rr.size.height) {
    std::swap(rr.size.width, rr.size.height);
    rr.angle += 90;
  }
  // A rectangle turned by 180 degrees is the same rectangle: keep the text upright.
  while (rr.angle > 90) rr.angle -= 180;
  while (rr.angle <= -90) rr.angle += 180;
  rr.size.width *= 1 + grow_x;
  rr.size.height *= 1 + grow_y;
  cv::Point2f pts[4];
  rr.points(pts);
  // Order: bottom-left, top-left, top-right, bottom-right as given by RotatedRect::points for
  // width along x; map to an upright rectangle.
  const int w = std::max(8, static_cast<int>(std::round(rr.size.width)));
  const int h = std::max(8, static_cast<int>(std::round(rr.size.height)));
  const cv::Point2f dst[4] = {{0, static_cast<float>(h - 1)},
                              {0, 0},
                              {static_cast<float>(w - 1), 0},
                              {static_cast<float>(w - 1), static_cast<float>(h - 1)}};
  cv::Mat out;
  cv::warpPerspective(img, out, cv::getPerspectiveTransform(pts, dst), cv::Size(w, h), cv::INTER_CUBIC,
                      cv::BORDER_REPLICATE);
  return out;
}

// ---- Recognition: CTC greedy decoding restricted to the plate alphabet ----------------------
TextGuess recognise(detail::ModelRunner& net160, detail::ModelRunner& net320, const std::vector<int>& alphabet_index,
                    const cv::Mat& crop) {
  const int want_w = static_cast<int>(std::ceil(48.0 * crop.cols / std::max(1, crop.rows)));
  const int W = want_w <= 160 ? 160 : 320;
  detail::ModelRunner& net = W == 160 ? net160 : net320;
  const int w = std::clamp(want_w, 8, W);
  cv::Mat resized;
  cv::resize(crop, resized, cv::Size(w, 48), 0, 0, cv::INTER_LINEAR);
  cv::Mat canvas(48, W, CV_32FC3, cv::Scalar(0, 0, 0));
  cv::Mat f;
  resized.convertTo(f, CV_32FC3, 2.0 / 255, -1.0);  // (v/255 - 0.5) / 0.5
  f.copyTo(canvas(cv::Rect(0, 0, w, 48)));
  const auto outs = net.forward(cv::dnn::blobFromImage(canvas));  // [1, T, 6625]
  if (outs.empty()) return {};
  const cv::Mat& out = outs[0];
  const int T = out.size[1], C = out.size[2];
  const std::string& alpha = plate_alphabet();
  TextGuess g;
  int prev = -1;
  for (int t = 0; t < T; ++t) {
    const float* p = out.ptr<float>() + static_cast<size_t>(t) * C;
    // Best among blank and the plate alphabet only; everything else (Chinese, punctuation,
    // lower case) cannot appear on these plates, so it does not compete.
    int best = -1;
    float best_p = p[0];
    for (size_t k = 0; k < alphabet_index.size(); ++k)
      if (p[alphabet_index[k]] > best_p) {
        best_p = p[alphabet_index[k]];
        best = static_cast<int>(k);
      }
    if (best >= 0 && best != prev) {
      g.text += alpha[static_cast<size_t>(best)];
      g.probs.push_back(best_p);
      g.choices.push_back({alpha[static_cast<size_t>(best)], 0.f, '0', 0.f, 'A', 0.f});
    }
    if (best >= 0) {
      // The character's own alternatives over the time steps it spans (frequent_layout_fix).
      CharChoices& c = g.choices.back();
      c.p_read = std::max(c.p_read, best_p);
      for (size_t k = 0; k < alphabet_index.size(); ++k) {
        const float q = p[alphabet_index[k]];
        const bool digit = std::isdigit(static_cast<unsigned char>(alpha[k])) != 0;
        if (digit && q > c.p_digit) c.digit = alpha[k], c.p_digit = q;
        if (!digit && q > c.p_letter) c.letter = alpha[k], c.p_letter = q;
      }
    }
    prev = best;
  }
  return g;
}

/// Character-level vote over several reads of one plate: the most supported length wins, then
/// each position takes the probability-weighted majority.
TextGuess vote(const std::vector<TextGuess>& guesses) {
  std::map<size_t, float> len_weight;
  for (const auto& g : guesses) len_weight[g.text.size()] += g.mean();
  size_t len = 0;
  float best = -1;
  for (auto [l, w] : len_weight)
    if (w > best && l > 0) best = w, len = l;
  TextGuess out;
  for (size_t i = 0; i < len; ++i) {
    std::map<char, float> w;
    float total = 0;
    int n = 0;
    for (const auto& g : guesses)
      if (g.text.size() == len) {
        w[g.text[i]] += g.probs[i];
        total += g.probs[i];
        ++n;
      }
    auto it = std::max_element(w.begin(), w.end(), [](auto& a, auto& b) { return a.second < b.second; });
    out.text += it->first;
    out.probs.push_back(n ? it->second / static_cast<float>(n) : 0.f);
    (void)total;
  }
  return out;
}

}  // namespace

bool second_crop_needed(const std::optional<PlateRead>& first, float min_confidence) {
  return !first || !first->known_layout || first->confidence < min_confidence;
}

void rank_reads(std::vector<PlateRead>& reads) {
  // A national layout beats the generic rule, which beats nothing; then confidence weighted by
  // the text height relative to the tallest read (state names, slogans and stickers are smaller).
  float tallest = 1;
  for (const auto& r : reads) tallest = std::max(tallest, r.char_height_px);
  auto key = [&](const PlateRead& r) {
    const int tier = r.known_layout ? 2 : r.valid ? 1 : 0;
    return std::pair<int, float>(tier, r.confidence * std::sqrt(r.char_height_px / tallest));
  };
  std::stable_sort(reads.begin(), reads.end(), [&](const PlateRead& a, const PlateRead& b) { return key(a) > key(b); });
}

namespace {

/// Votes the reads of one plate, fits the grammar (dropping one spurious character where that
/// makes the read fit a national layout) and fills a PlateRead; nothing when no crop read anything.
std::optional<PlateRead> finish_read(const std::vector<TextGuess>& guesses, Region region) {
  if (guesses.empty()) return std::nullopt;
  TextGuess voted = vote(guesses);
  auto gm = apply_grammar(voted.text, region);
  if (!gm.known_layout && voted.text.size() > 4) {
    // Stickers, emblems and separators between character groups read as an extra character:
    // drop the least confident one when that makes the read fit a national layout.
    std::vector<size_t> idx(voted.text.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return voted.probs[a] < voted.probs[b]; });
    for (size_t k = 0; k < std::min<size_t>(2, idx.size()); ++k) {
      TextGuess shorter = voted;
      shorter.text.erase(idx[k], 1);
      shorter.probs.erase(shorter.probs.begin() + static_cast<std::ptrdiff_t>(idx[k]));
      const auto m = apply_grammar(shorter.text, region);
      if (m.known_layout) {
        voted = shorter;
        gm = m;
        break;
      }
    }
  }
  PlateRead pr;
  pr.text = gm.text;
  pr.valid = gm.valid;
  pr.known_layout = gm.known_layout;
  pr.char_confidence = voted.probs;
  pr.confidence = voted.mean();
  for (const auto& g : guesses) {
    const auto c = apply_grammar(g.text, region).text;
    if (c != pr.text && std::none_of(pr.candidates.begin(), pr.candidates.end(), [&](auto& x) { return x.first == c; }))
      pr.candidates.emplace_back(c, g.mean());
  }
  std::sort(pr.candidates.begin(), pr.candidates.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return pr;
}

/// Crops of a localised plate, in plate units (0..1 = the plate's box): the band where the
/// characters are (state names, slogans and frames above and below them cut away), and the box
/// with a little margin left and right. Chosen among seven crops by a split of the development
/// photos (docs/anpr.md).
struct QuadCrop {
  float x0, x1, y0, y1;
};
constexpr QuadCrop kQuadCrops[] = {
    {0.0f, 1.0f, 0.14f, 0.88f},
    {-0.04f, 1.04f, 0.08f, 0.96f},
};

float dist(const cv::Point2f& a, const cv::Point2f& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

std::optional<PlateRead> PlateReader::read_quad(const core::Image& image, const PlateQuad& q) {
  const cv::Mat img = as_mat(image);
  cv::Point2f c[4];
  for (size_t k = 0; k < 4; ++k) c[k] = {static_cast<float>(q.corners[k].x), static_cast<float>(q.corners[k].y)};
  if (!options_.use_corners) {
    // The plate's box, not its regressed corners: measured better on US/EU/BR photos (docs/anpr.md).
    const auto& b = q.box_px;
    c[0] = {b.x1, b.y1}, c[1] = {b.x2, b.y1}, c[2] = {b.x2, b.y2}, c[3] = {b.x1, b.y2};
  }
  const float w = (dist(c[0], c[1]) + dist(c[3], c[2])) / 2, h = (dist(c[0], c[3]) + dist(c[1], c[2])) / 2;
  if (w < static_cast<float>(options_.min_plate_px) || h < 6) return std::nullopt;
  // Plate units -> image: the homography of the unit square onto the quadrilateral.
  const cv::Point2f unit[4] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  const cv::Mat to_image = cv::getPerspectiveTransform(unit, c);
  constexpr float kRecH = 48;
  std::optional<PlateRead> best;
  std::vector<PlateRead> others;
  auto tier = [](const PlateRead& r) { return r.known_layout ? 2 : r.valid ? 1 : 0; };
  bool first = true;
  for (const auto& k : kQuadCrops) {
    // Output of height 48 for the crop's height; width keeps the plate's aspect ratio.
    const float ch = kRecH, cw = std::max(8.f, std::round(kRecH * (k.x1 - k.x0) * w / ((k.y1 - k.y0) * h)));
    // Output pixel (x, y) -> plate units -> image.
    cv::Mat out_to_unit = (cv::Mat_<double>(3, 3) << (k.x1 - k.x0) / cw, 0, k.x0, 0, (k.y1 - k.y0) / ch, k.y0, 0, 0, 1);
    const cv::Mat m = to_image * out_to_unit;
    cv::Mat crop;
    cv::warpPerspective(img, crop, m, cv::Size(static_cast<int>(cw), static_cast<int>(ch)),
                        cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    auto g = recognise(*impl_->rec160, *impl_->rec320, impl_->alphabet_index, crop);
    if (first && g.text.size() < 3) break;  // not text: the other crop is not worth reading
    const bool first_crop = first;
    first = false;
    if (g.text.size() < 3) continue;
    // One character of the wrong kind for a frequent layout: the recogniser's own best character
    // of the right kind there, if it is not much less probable (docs/anpr.md).
    if (options_.frequent_layouts) g.text = frequent_layout_fix(g.choices, options_.region);
    // The crops are not voted character by character: the one whose read fits the grammar best,
    // then is most confident, wins (measured better than a vote with two crops).
    auto r = finish_read({g}, options_.region);
    // The first crop's read fits a national layout confidently: the second crop would not change it.
    const bool enough = first_crop && !second_crop_needed(r, options_.single_crop_confidence);
    if (!r) continue;
    if (!best || std::pair(tier(*r), r->confidence) > std::pair(tier(*best), best->confidence)) {
      if (best) others.push_back(std::move(*best));
      best = std::move(r);
    } else {
      others.push_back(std::move(*r));
    }
    if (enough) break;
  }
  if (!best) return best;
  for (const auto& o : others)
    if (o.text != best->text &&
        std::none_of(best->candidates.begin(), best->candidates.end(), [&](auto& x) { return x.first == o.text; }))
      best->candidates.emplace_back(o.text, o.confidence);
  auto& pr = best;

  pr->box_px = q.box_px;
  pr->char_height_px = h;
  return pr;
}

std::vector<PlateRead> PlateReader::read_located(const core::Image& image, const core::BoxXyxy& roi,
                                                 const PlateLocaliserOptions& lpd) {
  std::vector<PlateRead> reads;
  const auto quads = impl_->lpd->locate(image, roi, lpd);
  for (size_t i = 0; i < quads.size() && static_cast<int>(i) < options_.max_plates; ++i)
    if (auto r = read_quad(image, quads[i])) reads.push_back(std::move(*r));
  rank_reads(reads);
  return reads;
}

std::vector<PlateRead> PlateReader::read(const core::Image& image, const core::BoxXyxy& roi) {
  std::vector<PlateRead> reads;
  if (options_.localiser) reads = read_located(image, roi, options_.lpd);
  const bool layouts_known = !layouts(options_.region).empty();
  const bool found = std::any_of(reads.begin(), reads.end(),
                                 [&](const PlateRead& p) { return p.known_layout || (!layouts_known && p.valid); });
  if (!found && (options_.text_fallback || !options_.localiser)) {
    auto more = read_text(image, roi);
    reads.insert(reads.end(), more.begin(), more.end());
    rank_reads(reads);
  }
  return reads;
}

std::vector<PlateRead> PlateReader::read_text(const core::Image& image, const core::BoxXyxy& roi) {
  const cv::Mat img = as_mat(image);
  const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(roi.x1), static_cast<int>(roi.y1)),
                              cv::Point(static_cast<int>(roi.x2), static_cast<int>(roi.y2))) &
                     cv::Rect(0, 0, img.cols, img.rows);
  std::vector<PlateRead> reads;
  if (r.width < 16 || r.height < 16) return reads;
  const cv::Mat crop = img(r);
  for (auto rr : merge_lines(detect_text(*impl_->det, crop, options_.min_text_score))) {
    const float long_side = std::max(rr.size.width, rr.size.height),
                short_side = std::min(rr.size.width, rr.size.height);
    if (short_side < 8 || long_side < static_cast<float>(options_.min_plate_px)) continue;
    const float aspect = long_side / short_side;
    if (aspect < 1.2f || aspect > 8.f) continue;
    // Several crops of the same plate (tight, wider, taller) read and voted: one bad crop
    // boundary does not decide the result.
    std::vector<TextGuess> guesses;
    bool first = true;
    for (auto [gx, gy] : {std::pair{0.f, 0.f}, std::pair{0.06f, 0.1f}, std::pair{-0.04f, 0.f}, std::pair{0.f, 0.2f}}) {
      auto g = recognise(*impl_->rec160, *impl_->rec320, impl_->alphabet_index, crop_rotated(crop, rr, gx, gy));
      // No plate has fewer than 4 characters: text that reads shorter on the first crop is not
      // worth three more reads.
      if (first && g.text.size() < 4) break;
      first = false;
      if (g.text.size() >= 3) guesses.push_back(std::move(g));
    }
    auto pr = finish_read(guesses, options_.region);
    if (!pr) continue;
    pr->char_height_px = short_side;
    const cv::Rect2f bb = rr.boundingRect2f();
    pr->box_px = {bb.x + static_cast<float>(r.x), bb.y + static_cast<float>(r.y),
                  bb.x + bb.width + static_cast<float>(r.x), bb.y + bb.height + static_cast<float>(r.y)};
    reads.push_back(std::move(*pr));
  }
  rank_reads(reads);
  return reads;
}

// ---- Vehicle attributes ------------------------------------------------------------------------
struct VehicleClassifier::Impl {
  std::unique_ptr<detail::ModelRunner> net;
};

core::Result<std::unique_ptr<VehicleClassifier>> VehicleClassifier::create(detect::Backend backend, int threads) {
  std::unique_ptr<VehicleClassifier> v(new VehicleClassifier());
  v->impl_ = std::make_unique<Impl>();
  auto net = detail::ModelRunner::create(kAttrs, "vehicle_attributes", backend, threads, {1, 3, 72, 72});
  if (!net) return net.error();
  v->impl_->net = std::move(*net);
  return v;
}

VehicleClassifier::~VehicleClassifier() = default;

VehicleAttributes VehicleClassifier::classify(const core::Image& image, const core::BoxXyxy& box) {
  static const char* kColors[] = {"white", "gray", "yellow", "red", "green", "blue", "black"};
  static const char* kTypes[] = {"car", "van", "truck", "bus"};
  const cv::Mat img = as_mat(image);
  const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(box.x1), static_cast<int>(box.y1)),
                              cv::Point(static_cast<int>(box.x2), static_cast<int>(box.y2))) &
                     cv::Rect(0, 0, img.cols, img.rows);
  VehicleAttributes a;
  if (r.width < 8 || r.height < 8) return a;
  cv::Mat resized;
  cv::resize(img(r), resized, cv::Size(72, 72));
  const auto outs = impl_->net->forward(cv::dnn::blobFromImage(resized), {"color", "type"});
  if (outs.size() != 2) return a;
  const float* c = outs[0].ptr<float>();
  const float* t = outs[1].ptr<float>();
  const int ci = static_cast<int>(std::max_element(c, c + 7) - c);
  const int ti = static_cast<int>(std::max_element(t, t + 4) - t);
  a.color = kColors[ci];
  a.color_confidence = c[ci];
  a.type = kTypes[ti];
  a.type_confidence = t[ti];
  return a;
}

}  // namespace vsp::anpr

#include "pipeline/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace vsp::pipeline {

namespace {
prometheus::Histogram::BucketBoundaries exponential(double start, double factor, int count) {
  prometheus::Histogram::BucketBoundaries b;
  for (double v = start; count-- > 0; v *= factor) b.push_back(v);
  return b;
}
}  // namespace

Histograms::Histograms() : registry_(std::make_shared<prometheus::Registry>()) {
  detector_ = &prometheus::BuildHistogram()
                   .Name("vsp_detector_latency_seconds")
                   .Help("detector forward pass time per frame")
                   .Register(*registry_);
  delay_ = &prometheus::BuildHistogram()
                .Name("vsp_event_delay_seconds")
                .Help("from when an event happened (ts_utc) to when it was handed to the store")
                .Register(*registry_);
  write_ = &prometheus::BuildHistogram()
                .Name("vsp_segment_write_seconds")
                .Help("time to write one packet to a recording segment")
                .Register(*registry_);
}

void Histograms::detector_latency(const std::string& model, double seconds) {
  detector_->Add({{"model", model}}, exponential(0.002, 2, 12)).Observe(seconds);  // 2 ms .. 4 s
}

void Histograms::event_delay(const std::string& camera, double seconds) {
  delay_->Add({{"camera", camera}}, exponential(0.25, 2, 10)).Observe(seconds);  // 0.25 s .. 2 min
}

void Histograms::segment_write(const std::string& camera, double seconds) {
  write_->Add({{"camera", camera}}, exponential(0.0001, 4, 9)).Observe(seconds);  // 0.1 ms .. 6.5 s
}

std::vector<prometheus::MetricFamily> Histograms::collect() const { return registry_->Collect(); }

prometheus::MetricFamily& Exposition::family(const std::string& name, const std::string& help,
                                             prometheus::MetricType type) {
  for (auto& f : families_)
    if (f.name == name) return f;
  families_.push_back({name, help, type, {}});
  return families_.back();
}

void Exposition::counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
  prometheus::ClientMetric m;
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  m.counter.value = value;
  family(name, help, prometheus::MetricType::Counter).metric.push_back(std::move(m));
}

void Exposition::gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
  prometheus::ClientMetric m;
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  m.gauge.value = value;
  family(name, help, prometheus::MetricType::Gauge).metric.push_back(std::move(m));
}

void Exposition::add(std::vector<prometheus::MetricFamily> families) {
  for (auto& f : families) families_.push_back(std::move(f));
}

std::string Exposition::text() const { return prometheus::TextSerializer().Serialize(families_); }

}  // namespace vsp::pipeline

#pragma once
/// The node's Prometheus metrics through prometheus-cpp: histograms for what users want as
/// distributions (detector latency, event delay, segment write time), and a builder for the
/// counters and gauges read from component status at scrape time. Thread-safe.
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vsp::pipeline {

class Histograms {
 public:
  Histograms();
  /// One detector forward pass of `model`, seconds.
  void detector_latency(const std::string& model, double seconds);
  /// From the time an event happened (its ts_utc) to when it was handed to the store, seconds.
  void event_delay(const std::string& camera, double seconds);
  /// One packet written to a recording segment, seconds.
  void segment_write(const std::string& camera, double seconds);
  std::vector<prometheus::MetricFamily> collect() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Histogram>* detector_;
  prometheus::Family<prometheus::Histogram>* delay_;
  prometheus::Family<prometheus::Histogram>* write_;
};

/// Families of counters and gauges, serialised in the Prometheus text format.
class Exposition {
 public:
  using Labels = std::map<std::string, std::string>;
  void counter(const std::string& name, const std::string& help, const Labels& labels, double value);
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double value);
  void add(std::vector<prometheus::MetricFamily> families);
  std::string text() const;

 private:
  prometheus::MetricFamily& family(const std::string& name, const std::string& help, prometheus::MetricType type);
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace vsp::pipeline

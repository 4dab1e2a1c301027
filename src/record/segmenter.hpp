#pragma once
/// Remuxes a stream's packets, never decoded, into MPEG-TS segments of a few seconds, split at
/// keyframes: `recordings/<camera>/<YYYY-MM-DD>/<HH>/<MM.SS>.ts` (UTC). MPEG-TS needs no index
/// at the end, so a crash or kill loses at most the packets not yet written of the open segment.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ingest/source.hpp"

namespace vsp::record {

struct SegmentFile {
  std::string camera;
  std::string path;           ///< relative to the storage root
  std::int64_t start_ms = 0;  ///< wall clock of the first packet
  std::int64_t end_ms = 0;    ///< start + stream time covered (0 while open)
  std::int64_t bytes = 0;
};

struct SegmenterOptions {
  std::string root;  ///< storage root; files go under root/recordings/...
  std::string camera;
  double segment_s = 4;
};

class Segmenter {
 public:
  /// One segmenter per connection: it copies the source's stream parameters.
  Segmenter(SegmenterOptions options, const ingest::Source& source);
  ~Segmenter();
  Segmenter(const Segmenter&) = delete;
  Segmenter& operator=(const Segmenter&) = delete;

  /// What `write` did with a packet.
  struct WriteResult {
    bool written = false;               ///< the packet is on disk (in the open segment)
    std::optional<SegmentFile> opened;  ///< a segment was started (row to insert as incomplete);
                                        ///< reported with its first packet written, never before
    std::optional<SegmentFile> closed;  ///< a segment was finished or cut short by a failed write
                                        ///< (row to complete; it ends with its last good packet)
    std::optional<core::Error> error;   ///< the write failed (disk full, read-only, gone): the
                                        ///< segment is cut, and recording retries at the next keyframe
  };
  /// Writes one packet; `wall_ms` is when it arrived. Packets before the first keyframe (of the
  /// stream, or after a failure) are skipped: neither written nor an error.
  WriteResult write(const ingest::Packet& packet, std::int64_t wall_ms);
  /// Finishes the open segment, if any.
  std::optional<SegmentFile> close();
  long packets_written() const { return packets_written_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  long packets_written_ = 0;
};

/// Stream time covered by a finished or cut segment file, by reading its packets; nullopt when
/// unreadable. Used to recover the open segment after a crash.
std::optional<double> probe_duration_s(const std::string& path);

/// Remuxes the packets of `segments` (in order; files under `root`) whose wall time falls in
/// [start_ms, end_ms] into one MP4 at `out_path`, starting at the keyframe at or before start.
core::Status export_clip(const std::string& root, const std::vector<SegmentFile>& segments, std::int64_t start_ms,
                         std::int64_t end_ms, const std::string& out_path);

}  // namespace vsp::record

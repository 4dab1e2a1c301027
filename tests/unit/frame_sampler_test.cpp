#include <gtest/gtest.h>

#include "pipeline/frame_sampler.hpp"

using vsp::pipeline::FrameSampler;

namespace {
int taken(FrameSampler& s, double fps_in, int frames, double start = 0) {
  int n = 0;
  for (int i = 0; i < frames; ++i) n += s.take(start + i / fps_in);
  return n;
}
}  // namespace

TEST(FrameSampler, without_a_rate_every_frame_is_taken) {
  FrameSampler s(std::nullopt);
  EXPECT_EQ(taken(s, 25, 50), 50);
}

TEST(FrameSampler, samples_a_25_fps_stream_at_5_fps) {
  FrameSampler s(5.0);
  EXPECT_EQ(taken(s, 25, 250), 50);
}

TEST(FrameSampler, timestamps_going_back_restart_the_schedule) {
  FrameSampler s(5.0);
  taken(s, 25, 100);         // 0 .. 4 s
  EXPECT_TRUE(s.take(0.0));  // a reconnect or a looped file starts again at 0
  EXPECT_FALSE(s.take(0.04));
}

TEST(FrameSampler, after_a_gap_the_next_frame_is_taken_at_once) {
  FrameSampler s(1.0);
  EXPECT_TRUE(s.take(0.0));
  EXPECT_TRUE(s.take(10.0));
  EXPECT_FALSE(s.take(10.4));
  EXPECT_TRUE(s.take(11.0));
}

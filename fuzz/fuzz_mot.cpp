// libFuzzer: the MOTChallenge result/ground-truth reader and the seqinfo.ini reader. They read
// files, so each input goes to a file in /dev/shm first. The first byte picks the reader.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "eval/mot_metrics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::string path = "/dev/shm/vsp_fuzz_mot_" + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data + 1, 1, size - 1, f);
  std::fclose(f);
  switch (data[0] % 3) {
    case 0:
      (void)vsp::eval::read_mot_file(path, true);
      break;
    case 1:
      (void)vsp::eval::read_mot_file(path, false);
      break;
    default:
      (void)vsp::eval::read_seqinfo(path);
      break;
  }
  return 0;
}
